// `thumbctl traces` on a real local cloud, through the real CLI (the built dist/, `npm run build` first): a
// `thumbctl local serve` on a fresh state directory, `setup`, two uploads, then `traces --json` must list each
// invocation with its phases (inside the invocation), the first as a cold start, a summary that matches the
// rows and a service map; a failed invocation shows as an error; `--html` renders in Chromium.
//
// The failed invocation: the function handles bad input itself (a corrupt image is logged and rejected, and
// the invocation succeeds), so the honest way to make Lambda record a failure is a transient S3 error the
// function rethrows. We delete the thumbnails bucket and invoke: PutObject answers NoSuchBucket, the handler
// throws, and Lambda records a fault with the cause.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { percentile } from '../../../cli/core/traces/percentiles.js';
import { HTML_COLOURS } from '../../../cli/core/traces/render-html.js';
import { clientConfigFor } from '../../helpers/local-cloud.js';
import { runThumbctl, startLocalServe, type LocalServe, type ThumbctlResult } from '../../helpers/thumbctl.js';
import { chromiumMissing, colourCensus, screenshot } from './chromium.js';

const SAMPLE_PHOTO = new URL('../../../assets/canyon.jpg', import.meta.url).pathname;
const TOLERANCE_MS = 0.5; // phases are rounded to 0.1 ms each

interface TraceJson {
  id: string;
  startTime: string;
  key: string | null;
  coldStart: boolean;
  error: string | null;
  durationMs: number | null;
  e2eMs: number | null;
  partial: boolean;
  missing: string[];
  phases: Record<'initMs' | 'dwellMs' | 'invocationMs' | 's3GetMs' | 'resizeMs' | 's3PutMs' | 'overheadMs', number | null>;
}

let stateDir: string;
let server: LocalServe | undefined;
let endpoint: string;
let setupJson: { sourceBucket: string; thumbnailBucket: string; functionName: string };

function thumbctl(args: string[], timeoutMs = 120_000): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--state-dir', stateDir], { cwd: stateDir, timeoutMs });
}

/** `thumbctl local serve` on the state directory, so every command shares one cloud and nothing is cut short. */
function serve(): Promise<LocalServe> {
  return startLocalServe(['--port', '0', '--json', '--state-dir', stateDir], { timeoutMs: 30_000 });
}

async function tracesJson(args: string[]): Promise<{ traces: TraceJson[]; summary: any; serviceMap: any; mayBeIncomplete: boolean; notes: string[] }> {
  const result = await thumbctl(['traces', '--json', ...args]);
  assert.equal(result.code, 0, `traces ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result.json();
}

describe('thumbctl traces on the local cloud', () => {
  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-traces-'));
    server = await serve();
    endpoint = server.endpoint;
    const setup = await thumbctl(['setup', '--json']);
    assert.equal(setup.code, 0, setup.stderr);
    setupJson = setup.json();
    for (const size of ['400x400', '200x200']) {
      const upload = await thumbctl(['upload', SAMPLE_PHOTO, size, '--json']);
      assert.equal(upload.code, 0, `upload ${size}: ${upload.stderr}`);
    }
  });

  after(async () => {
    await server?.stop(10_000);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('lists each invocation with its phases, the first as a cold start', async () => {
    // Act
    const report = await tracesJson(['--wait', '2']);

    // Assess
    assert.equal(report.traces.length, 2, JSON.stringify(report.traces, null, 2));
    const [newest, oldest] = report.traces as [TraceJson, TraceJson];
    assert.ok(newest.startTime > oldest.startTime, 'newest first');
    assert.equal(oldest.key, 'canyon-400x400.jpg');
    assert.equal(newest.key, 'canyon-200x200.jpg');
    assert.equal(oldest.coldStart, true, 'the first invocation is a cold start');
    assert.ok((oldest.phases.initMs ?? 0) > 0);
    assert.equal(newest.coldStart, false, 'the second reuses the warm environment');
    assert.equal(newest.phases.initMs, null);
    for (const trace of report.traces) {
      assert.equal(trace.error, null, `${trace.id}: ${trace.error}`);
      assert.equal(trace.partial, false, `${trace.id} missing ${trace.missing.join(', ')}`);
      assert.match(trace.id, /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      for (const [name, value] of Object.entries(trace.phases)) {
        assert.ok(typeof value === 'number' && value >= 0 ? true : name === 'initMs', `${trace.id} ${name} = ${value}`);
      }
    }
  });

  it('keeps the phases inside the invocation, and every phase inside end to end', async () => {
    const { traces } = await tracesJson(['--wait', '2']);
    for (const trace of traces) {
      const { phases } = trace;
      const inside = (phases.s3GetMs ?? 0) + (phases.resizeMs ?? 0) + (phases.s3PutMs ?? 0);
      assert.ok(inside <= (phases.invocationMs ?? 0) + TOLERANCE_MS, `${trace.id}: get+resize+put ${inside} > invocation ${phases.invocationMs}`);
      const parts = (phases.initMs ?? 0) + (phases.dwellMs ?? 0) + (phases.invocationMs ?? 0) + (phases.overheadMs ?? 0);
      assert.ok(parts <= (trace.e2eMs ?? 0) + 4 * TOLERANCE_MS, `${trace.id}: phases ${parts} > end to end ${trace.e2eMs}`);
    }
    // And in time: the function's S3 and resize bars lie within the Invocation bar.
    const id = traces[0]?.id as string;
    const waterfall = await thumbctl(['traces', '--json', '--trace-id', id]);
    assert.equal(waterfall.code, 0, waterfall.stderr);
    const spans = (waterfall.json().timelines[0].spans as Array<{ name: string; startMs: number; endMs: number }>);
    const invocation = spans.find((s) => s.name === 'Invocation');
    assert.ok(invocation, JSON.stringify(spans));
    for (const name of ['S3 GetObject', 'resize', 'S3 PutObject']) {
      const span = spans.find((s) => s.name === name);
      assert.ok(span, `${name} in ${spans.map((s) => s.name).join(', ')}`);
      assert.ok(span.startMs >= invocation.startMs - TOLERANCE_MS && span.endMs <= invocation.endMs + TOLERANCE_MS, `${name} ${span.startMs}-${span.endMs} outside Invocation ${invocation.startMs}-${invocation.endMs}`);
    }
  });

  it('summarises the rows it lists', async () => {
    const { traces, summary } = await tracesJson(['--wait', '2']);
    const invocations = traces.map((t) => t.phases.invocationMs as number);
    const e2e = traces.map((t) => t.e2eMs as number);
    assert.equal(summary.count, traces.length);
    assert.equal(summary.errors, traces.filter((t) => t.error).length);
    assert.equal(summary.coldStarts, traces.filter((t) => t.coldStart).length);
    assert.equal(summary.percentileMethod, 'nearest-rank');
    assert.equal(summary.p50Ms, percentile(invocations, 50));
    assert.equal(summary.p90Ms, percentile(invocations, 90));
    assert.equal(summary.p99Ms, percentile(invocations, 99));
    assert.equal(summary.maxMs, Math.max(...invocations));
    assert.equal(summary.e2e.p50Ms, percentile(e2e, 50));
    assert.equal(summary.e2e.maxMs, Math.max(...e2e));
    assert.equal(summary.cold.count, 1);
    assert.equal(summary.warm.count, 1);
    assert.equal(summary.cold.e2e.maxMs, traces.find((t) => t.coldStart)?.e2eMs);
  });

  it('draws the service map: client, the source bucket, the Lambda service, the function and S3', async () => {
    const { serviceMap } = await tracesJson(['--wait', '2']);
    const name = setupJson.functionName;
    const ids = serviceMap.nodes.map((n: { id: string }) => n.id);
    const lambda = serviceMap.nodes.find((n: { type: string }) => n.type === 'AWS::Lambda');
    const fn = serviceMap.nodes.find((n: { type: string }) => n.type === 'AWS::Lambda::Function');
    const s3 = serviceMap.nodes.find((n: { type: string; name: string }) => n.type.startsWith('AWS::S3') && n.name === 'S3');
    const bucket = serviceMap.nodes.find((n: { type: string; name: string }) => n.type === 'AWS::S3::Bucket' && n.name === setupJson.sourceBucket);
    assert.ok(ids.includes('client'), ids.join(', '));
    assert.ok(bucket, `the source bucket, which passed the upload's trace on to Lambda, in ${ids.join(', ')}`);
    assert.ok(lambda && fn && s3, ids.join(', '));
    assert.equal(lambda.name, name);
    assert.equal(fn.name, name);
    assert.ok(lambda.requests >= 2 && fn.requests >= 2);
    assert.ok(s3.requests >= 4, 'a GetObject and a PutObject per invocation');
    for (const node of [lambda, fn, s3]) {
      assert.ok(node.avgMs > 0, `${node.id} avg`);
      assert.ok(node.perMinute > 0, `${node.id} per minute`);
    }
    const edges = serviceMap.edges.map((e: { from: string; to: string }) => `${e.from} -> ${e.to}`);
    for (const edge of [`client -> ${bucket.id}`, `${bucket.id} -> ${lambda.id}`, `${lambda.id} -> ${fn.id}`, `${fn.id} -> ${s3.id}`]) assert.ok(edges.includes(edge), `${edge} in ${edges.join('; ')}`);
  });

  it('prints the table, summary, waterfall and service map as text', async () => {
    const { traces } = await tracesJson(['--wait', '2']);
    const result = await thumbctl(['traces', '--service-map', '--trace-id', traces[1]?.id as string]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^time \(UTC\)\s+key\s+start\s+init\s+dwell\s+invoke\s+s3 get\s+resize\s+s3 put\s+overhead\s+total\s+status$/m);
    assert.match(result.stdout, /canyon-400x400\.jpg\s+cold\s+\d/);
    assert.match(result.stdout, /nearest-rank/);
    assert.match(result.stdout, /^ {2}Initialization +·*█+·* +\+\d/m, 'a waterfall bar for the cold start');
    assert.match(result.stdout, /└──▶ S3/);
  });

  it('shows a failed invocation as an error', async () => {
    // Prepare: make PutObject fail (see the top of this file).
    const s3 = new S3Client(clientConfigFor(endpoint));
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: setupJson.thumbnailBucket }));
      if (listed.Contents?.length) await s3.send(new DeleteObjectsCommand({ Bucket: setupJson.thumbnailBucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key })) } }));
      await s3.send(new DeleteBucketCommand({ Bucket: setupJson.thumbnailBucket }));
    } finally {
      s3.destroy();
    }
    const invoke = await thumbctl(['invoke', 'canyon-400x400.jpg']);
    assert.equal(invoke.code, 1, `the invocation should fail:\n${invoke.stdout}\n${invoke.stderr}`);

    // Act
    const report = await tracesJson(['--wait', '3']);

    // Assess
    const failed = report.traces.filter((t) => t.error);
    assert.equal(failed.length, 1, JSON.stringify(report.traces, null, 2));
    assert.match(failed[0]?.error as string, /NoSuchBucket|bucket/i);
    assert.equal(failed[0]?.key, 'canyon-400x400.jpg');
    assert.equal(report.summary.errors, 1);
    const fn = report.serviceMap.nodes.find((n: { type: string }) => n.type === 'AWS::Lambda::Function');
    assert.ok(fn.errors >= 1, 'the function node counts the fault');
  });

  it('writes an HTML report that renders in Chromium', { skip: chromiumMissing() }, async () => {
    const file = join(stateDir, 'report.html');
    const result = await thumbctl(['traces', '--html', file]);
    assert.equal(result.code, 0, result.stderr);
    const png = await screenshot(file);
    const page = await colourCensus(png, { left: 0, top: 0, width: 1280, height: 1600 });
    assert.ok(page.distinct >= 8, `only ${page.distinct} colours`);
    assert.ok(page.near(HTML_COLOURS.node, 6) > 2000, 'service-map boxes drawn');
    assert.ok(page.near(HTML_COLOURS.warm, 12) > 500, 'histogram and waterfall bars drawn');
    assert.ok(page.near(HTML_COLOURS.cold, 12) > 50, 'the cold start drawn');
  });
});

describe('thumbctl traces usage', () => {
  it('refuses a bad --since with exit 2 before touching anything', async () => {
    const result = await runThumbctl(['traces', '--since', '10x', '--state-dir', join(tmpdir(), 'thumbctl-never-created')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--since/);
  });

  it('refuses a bad --limit and a malformed --trace-id with exit 2', async () => {
    assert.equal((await runThumbctl(['traces', '--limit', '0'])).code, 2);
    assert.equal((await runThumbctl(['traces', '--trace-id', 'abc'])).code, 2);
  });

  it('refuses an --html file it could not write, in one line, before fetching anything', async () => {
    const stateDir = join(tmpdir(), 'thumbctl-never-created');
    const missing = await runThumbctl(['traces', '--html', join(tmpdir(), 'thumbctl-no-such-dir', 'report.html'), '--state-dir', stateDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^thumbctl: --html: directory .*thumbctl-no-such-dir does not exist$/m);
    const folder = await runThumbctl(['traces', '--html', tmpdir(), '--state-dir', stateDir]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /--html: .* is a directory/);
    assert.equal(existsSync(stateDir), false, 'no local cloud was started');
  });

  it('refuses a bad setting, from a flag or the config file, with exit 2 before starting a local cloud', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-traces-settings-'));
    try {
      const stateDir = join(dir, 'state');
      const flag = await runThumbctl(['traces', '--function-name', 'has spaces', '--state-dir', stateDir], { cwd: dir });
      assert.equal(flag.code, 2, flag.stderr);
      assert.match(flag.stderr, /function name "has spaces"/);
      assert.equal(existsSync(stateDir), false, 'no local cloud was started for a bad flag');
      writeFileSync(join(dir, 'thumbctl.config.json'), JSON.stringify({ memory: 64 }));
      const config = await runThumbctl(['traces', '--state-dir', stateDir], { cwd: dir });
      assert.equal(config.code, 2, config.stderr);
      assert.match(config.stderr, /--memory/);
      assert.equal(existsSync(stateDir), false, 'no local cloud was started for a bad config file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
