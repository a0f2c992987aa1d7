// A complete `bench --json` result with round numbers, for the pure renderers' tests.
import type { ScenarioResults } from '../../../../../cli/core/bench/markdown.js';
import type { BenchResult } from '../../../../../cli/core/bench/run.js';
import { evaluateTargets } from '../../../../../cli/core/bench/targets.js';
import { estimateCost } from '../../../../../cli/core/cost/estimate.js';

const block = (count: number, p50Ms: number, maxMs: number) => ({ count, p50Ms, p90Ms: maxMs, p99Ms: maxMs, maxMs });

export function benchResult(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    count: 40,
    concurrency: 2,
    image: '/opt/thumbctl/assets/canyon.jpg',
    size: '400x400',
    latency: { ...block(40, 80, 700), cold: block(0, 0, 0), warm: block(40, 80, 120) },
    throughputPerSec: 20,
    coldStarts: 0,
    lost: 0,
    function: { durationP50Ms: 70, resizeP50Ms: 55, initMs: null, initMaxMs: null, traces: 40 },
    baseline: { sharpP50Ms: 50, minMs: 45, iterations: 20, runsP50Ms: [49, 51], samplesMs: [45, 50, 55], warmup: 3, input: { format: 'jpeg', width: 3000, height: 2000 }, pipeline: "sharp(buffer).rotate().resize(400, 400, { fit: 'cover' }).toFormat('jpeg', {\"quality\":80}).toBuffer()", sharp: '0.35.5', libvips: '8.18.7', threads: 1, betweenUploads: 0 },
    ratios: { e2e: 1.6, resize: 1.1, throughput: 0.5, e2ePaired: null, resizePaired: null },
    packageBytes: 8 * 1024 * 1024,
    peakMemoryBytes: 200 * 1024 * 1024,
    memory: { cloudPeakBytes: 200 * 1024 * 1024, cloudPid: 10, cloudIsThisProcess: false, functionPeakBytes: 120 * 1024 * 1024, functionEnvironments: 2, idleRuntimeBytes: [70 * 1024 * 1024, 72 * 1024 * 1024] },
    cpu: { clientMs: 400, cloudMs: 600, functionsMs: 2400, perThumbnailMs: { client: 10, cloud: 15, functions: 60 } },
    breakdown: { uploadMs: 8, beforeFunctionMs: 6, dwellMs: 1, s3GetMs: 4, resizeMs: 55, s3PutMs: 4, invocationMs: 70, handlerOwnMs: 7, seenAfterFunctionMs: 5, traceE2eMs: 78 },
    imagemagick: null,
    targets: evaluateTargets({ e2eRatio: 1.6, resizeRatio: 1.1, throughputRatio: 0.5, concurrency: 2, cores: 2, initMs: null, packageBytes: 8 * 1024 * 1024, architecture: 'x86_64' }),
    target: 'local',
    runId: 'run1',
    startedAt: '2026-11-26T22:00:00.000Z',
    cores: 2,
    imageBytes: 414_013,
    wallMs: 2000,
    untraced: 0,
    failures: [],
    setupMs: 300,
    architecture: 'x86_64',
    cost: estimateCost({ rows: [], memoryMb: 512, architecture: 'x86_64', logBytesPerInvocation: null }),
    memoryMb: 512,
    cpuShare: 'host',
    ...overrides,
  };
}

export function scenarioResults(): ScenarioResults {
  const cold = benchResult({
    count: 2,
    coldStarts: 2,
    latency: { ...block(2, 700, 750), cold: block(2, 700, 750), warm: block(0, 0, 0) },
    function: { durationP50Ms: 90, resizeP50Ms: 60, initMs: 250, initMaxMs: 280, traces: 2 },
  });
  return {
    generatedAt: '2026-11-26T22:05:00.000Z',
    machine: { cpuModel: 'Test CPU', cores: 2, memoryBytes: 8 * 1024 ** 3, loadBefore: [0.5, 0.4, 0.3], loadAfter: [1, 0.5, 0.3], node: '20.20.2', platform: 'linux 6.1' },
    cold,
    latency: benchResult({
      count: 20,
      concurrency: 1,
      latency: { ...block(20, 60, 90), cold: block(0, 0, 0), warm: block(20, 60, 90) },
      function: { durationP50Ms: 52, resizeP50Ms: 50, initMs: null, initMaxMs: null, traces: 20 },
      ratios: { e2e: 1.2, resize: 1, throughput: null, e2ePaired: 1.15, resizePaired: 0.98 },
    }),
    throughput: benchResult(),
    cli: { versionMs: 120, nodeMs: 40, runs: 10, setupNoopMs: 600, setupRuns: 3, serveReadyMs: 280, serveReadyRuns: 5, firstSetupMs: 1700, firstSetupPackageCached: true },
    imagemagick: { available: true, command: '/usr/bin/convert', version: 'ImageMagick 6.9.11-60 Q16', convertP50Ms: 250, startupP50Ms: 12, iterations: 7, commandLine: 'convert canyon.jpg -thumbnail 400x400^ -gravity center -extent 400x400 out.jpg' },
  };
}
