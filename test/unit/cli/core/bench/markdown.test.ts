import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GENERATED_BEGIN, GENERATED_END, renderBenchmarksSection, scenarioTargets, spliceGenerated } from '../../../../../cli/core/bench/markdown.js';
import { scenarioResults } from './fixtures.js';

describe('BENCHMARKS.md rendering', () => {
  it('judges every target from the right run: latency one at a time, throughput at cores, init when cold', () => {
    // Act
    const checks = scenarioTargets(scenarioResults());
    // Assess: e2e 1.15 paired (latency run); resize 0.98 paired; the handler's own 7 ms and the cloud's 15 ms of CPU
    // (latency run); throughput 0.5 < 0.7; init 250 > 150 (cold run); idle 72 MB, the largest of the four
    // environments the two warm runs left; serve ready 280 ms; first setup 1.7 s; zip 8 MB; version +80 ms; setup 600 ms.
    assert.deepEqual(
      checks.map((c) => [c.id, c.value, c.met]),
      [
        ['e2e', 1.15, true],
        ['resize', 0.98, true],
        ['handler', 7, false],
        ['cloudCpu', 15, false],
        ['throughput', 0.5, false],
        ['init', 250, false],
        ['idleMemory', 72 * 1024 * 1024, false],
        ['serveReady', 280, true],
        ['firstSetup', 1700, false],
        ['zip', 8 * 1024 * 1024, true],
        ['version', 80, true],
        ['setup', 600, true],
      ],
    );
  });

  it('puts each figure beside its baseline and its target', () => {
    const text = renderBenchmarksSection(scenarioResults());
    assert.match(text, /\| Warm end-to-end p50, one upload at a time \| 60\.0 ms \| sharp alone 50\.0 ms \| 1\.20× \| ≤ 1\.3 × sharp baseline \| shown; the paired ratio below is judged \|/);
    assert.match(text, /\| … paired: median of each warm upload over the baseline sample timed right after it \| – \| same moment of the machine \| 1\.15× \| ≤ 1\.3 × sharp baseline \| ✅ met \|/);
    assert.match(text, /\| … 2 at a time \(throughput run\) \| 80\.0 ms \| sharp alone 50\.0 ms \| 1\.60× \| shown, not judged \|/);
    assert.match(text, /\| Resize phase p50 .*one at a time \| 50\.0 ms \| sharp alone 50\.0 ms \| 1\.00× \| .* \| shown; the paired ratio below is judged \|/);
    assert.match(text, /\| … paired: median of each upload's resize phase .* \| 0\.98× \| ≤ 1\.15 × sharp baseline \| ✅ met \|/);
    assert.match(text, /\| Throughput at concurrency 2 \| 20 \/s \| 2 cores \/ sharp = 40 \/s \| 0\.50× \|/);
    // CPU per thumbnail 60 + 15 + 10 = 85 ms: two cores give at most 2000 / 85 = 23.53 a second, 0.59 of 40.
    assert.match(text, /\| … ceiling at this CPU cost: .* \| 23\.53 \/s \| 2 cores \/ sharp = 40 \/s \| 0\.59× \| shown, not judged \|/);
    assert.match(text, /\| Cold start: init duration p50 \| 250\.0 ms \| max 280\.0 ms over 2 cold starts \|/);
    assert.match(text, /\| `thumbctl --version` \| 120\.0 ms \| `node -e 0` 40\.0 ms \| \+80\.0 ms \|/);
    assert.match(text, /\| ImageMagick `convert -thumbnail` .* \| 250\.0 ms \| sharp alone 50\.0 ms \| 5\.00× \| comparison only \|/);
    assert.match(text, /\| Function's own work p50: .* \| 7\.0 ms \| invocation 70\.0 ms \| – \| ≤ 3 ms \| ❌ not met \|/);
    assert.match(text, /\| Local cloud CPU per upload and thumbnail \(404 KB in\), one at a time \| 15\.0 ms \| function environments 60\.0 ms \| – \| ≤ 10 ms \| ❌ not met \|/);
    assert.match(text, /\| Idle function environment: .* \| 72\.0 MB \| 4 environment\(s\): 70\.0 MB, 72\.0 MB, 70\.0 MB, 72\.0 MB \| – \| ≤ 60 MB \| ❌ not met \|/);
    assert.match(text, /\| `thumbctl local serve` ready .* \| 280\.0 ms \| median of 5 \| – \| ≤ 300 ms \| ✅ met \|/);
    assert.match(text, /\| First `thumbctl setup` on a fresh state dir .* \| 1\.70 s \| package from the shared zip cache \| – \| ≤ 1\.5 s \| ❌ not met \|/);
    assert.match(text, /Targets met: 6 of 12/);
    assert.match(text, /\| function: resize \| 55\.0 ms \| 55\.0 ms \|/);
    assert.match(text, /Lost uploads \(no thumbnail within 60 s\): 0 of 62/);
  });

  it('names the image with its dimensions', () => {
    assert.match(renderBenchmarksSection(scenarioResults()), /The bundled canyon\.jpg \(3000x2000 JPEG, 404 KB\) → 400x400/);
  });

  it('describes the machine and says when it was busy', () => {
    const results = scenarioResults();
    assert.match(renderBenchmarksSection(results), /2 cores \(Test CPU\).*a quiet machine/s);
    results.machine.loadAfter = [5, 4, 3];
    assert.match(renderBenchmarksSection(results), /a shared machine, busy with other work/);
  });

  it('says ImageMagick was not measured, and why, when it is absent', () => {
    const results = { ...scenarioResults(), imagemagick: { available: false as const, reason: 'ImageMagick (convert) is not installed' } };
    assert.match(renderBenchmarksSection(results), /\| ImageMagick `convert -thumbnail` \| not measured \| ImageMagick \(convert\) is not installed \|/);
  });

  it('replaces only the text between the markers', () => {
    // Prepare
    const existing = `# Benchmarks\n\nintro\n\n${GENERATED_BEGIN}\nold numbers\n${GENERATED_END}\n\n## What we changed and why\n\nprose\n`;
    // Act
    const updated = spliceGenerated(existing, 'new numbers');
    // Assess
    assert.equal(updated, `# Benchmarks\n\nintro\n\n${GENERATED_BEGIN}\nnew numbers\n${GENERATED_END}\n\n## What we changed and why\n\nprose\n`);
  });

  it('appends the section to a file without markers', () => {
    assert.equal(spliceGenerated('# Benchmarks\n', 'numbers'), `# Benchmarks\n\n${GENERATED_BEGIN}\nnumbers\n${GENERATED_END}\n`);
    assert.equal(spliceGenerated('', 'numbers'), `${GENERATED_BEGIN}\nnumbers\n${GENERATED_END}\n`);
  });
});
