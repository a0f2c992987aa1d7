// End-to-end checks of the shipped artefact: bundle function/handler.ts with esbuild exactly as deployed, then run
// it under bare `node` in a child process (module-scope setup is process-wide) against a fake S3 endpoint, with
// and without the Lambda/X-Ray environment. Proves tracing never breaks the handler and emits the expected trace.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { build, type BuildOptions } from 'esbuild';
import sharp from 'sharp';

import { TRACING_MESSAGES } from '../../../function/tracing.js';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { encodeEventKey, putRecord, s3Event } from './support/events.js';
import { solid } from './support/images.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HARNESS = join(ROOT, 'test/fixtures/functions/invoke-bundle.mjs');
const TRACE = { root: '1-5759e988-bd862e3fe1be46a994272793', parent: '53995c3f42cd8ad8' } as const;
const TRACE_HEADER = `Root=${TRACE.root};Parent=${TRACE.parent};Sampled=1`;

/** esbuild options the lead's packaging should use; kept here so the test proves them. */
const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['sharp'],
  // Bundled CommonJS dependencies (AWS SDK internals, aws-xray-sdk-core) call require() on Node built-ins,
  // which ESM output cannot do without a real `require`.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
};

interface ChildOutcome {
  readonly result?: { results: Array<Record<string, unknown>> };
  readonly error?: { name: string; message: string };
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: string;
}

let workDir: string;
let bundlePath: string;
let s3: FakeS3;
let jpeg: Buffer;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'thumbnailer-bundle-'));
  // sharp stays external (shipped as node_modules in the zip); give the bundle one to resolve.
  symlinkSync(join(ROOT, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  bundlePath = join(workDir, 'index.mjs');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'function/handler.ts')], outfile: bundlePath });
  s3 = await startFakeS3();
  jpeg = await solid(640, 480, 'orange').jpeg().toBuffer();
});

after(async () => {
  await s3?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Environment shared by every run: fake credentials and endpoint, never the developer's own AWS setup. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_CONFIG_FILE: join(workDir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
    AWS_ENDPOINT_URL: s3.endpoint,
    THUMBNAIL_BUCKET: 'thumbs',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** The Lambda environment as the runtime (and our emulator) sets it. */
function lambdaEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: workDir,
    AWS_LAMBDA_FUNCTION_NAME: 'thumbnailer',
    _X_AMZN_TRACE_ID: TRACE_HEADER,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    ...extra,
  };
}

async function invoke(event: unknown, env: NodeJS.ProcessEnv): Promise<ChildOutcome> {
  const child = spawn(process.execPath, [HARNESS, bundlePath, JSON.stringify(event)], { env, cwd: workDir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `child exited with ${code}: ${stderr}`);
  const lines = `${stdout}\n${stderr}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const tagged = lines.find((line) => 'fixtureResult' in line || 'fixtureError' in line);
  return {
    ...(tagged?.fixtureResult ? { result: tagged.fixtureResult as ChildOutcome['result'] & object } : {}),
    ...(tagged?.fixtureError ? { error: tagged.fixtureError as ChildOutcome['error'] & object } : {}),
    logs: lines.filter((line) => line !== tagged),
    stderr,
  };
}

function warningsOf(outcome: ChildOutcome): unknown[] {
  return outcome.logs.filter((line) => line.level === 'WARN').map((line) => line.message);
}

async function listenUdp(): Promise<{ socket: Socket; port: number; documents: Array<Record<string, unknown>> }> {
  const socket = createSocket('udp4');
  const documents: Array<Record<string, unknown>> = [];
  socket.on('message', (message) => {
    // X-Ray daemon protocol: a JSON header line, a newline, then the segment document.
    const [, body] = message.toString('utf8').split('\n', 2);
    if (body) documents.push(JSON.parse(body));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: (socket.address() as AddressInfo).port, documents };
}

describe('bundled handler', () => {
  it('bundles to an ESM file that bare node can import', () => {
    // Assess
    const { size } = statSync(bundlePath);
    assert.ok(size > 100_000 && size < 5_000_000, `bundle is ${size} bytes`);
  });

  it('makes a thumbnail through the real S3 client in a plain process with tracing off', async () => {
    // Prepare
    const key = 'albums/2026/my photo-120x80.jpg';
    s3.objects.set(`photos/${key}`, { body: jpeg, contentType: 'image/jpeg' });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', encodeEventKey(key))), baseEnv({}));

    // Assess
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.result?.results[0]?.status, 'created');
    const written = s3.objects.get(`thumbs/${key}`);
    assert.equal(written?.contentType, 'image/jpeg');
    const metadata = await sharp(written?.body).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height], ['jpeg', 120, 80]);
    const [line] = outcome.logs;
    assert.deepEqual([line?.level, line?.message, line?.service, line?.key], ['INFO', 'thumbnail created', 'thumbnailer', key]);
  });

  it('logs a rejection as exactly one ERROR JSON line with key and reason', async () => {
    // Prepare
    s3.objects.set('photos/x-100x100.jpg', { body: Buffer.from('GIF? no. text.') });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'x-100x100.jpg')), baseEnv(lambdaEnv()));

    // Assess
    assert.equal(outcome.result?.results[0]?.status, 'rejected');
    const errors = outcome.logs.filter((line) => line.level === 'ERROR');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.message, 'thumbnail rejected: x-100x100.jpg');
    assert.equal(errors[0]?.key, 'x-100x100.jpg');
    assert.equal(errors[0]?.reason, 'not an image: Input buffer contains unsupported image format');
  });

  it('records S3 GetObject, resize and S3 PutObject as separate X-Ray subsegments of the invocation', async () => {
    // Prepare
    const daemon = await listenUdp();
    s3.objects.set('photos/traced-64x64.jpg', { body: jpeg });
    const env = baseEnv(lambdaEnv({ AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.port}` }));

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'traced-64x64.jpg')), env);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last datagrams land
    daemon.socket.close();

    // Assess
    assert.equal(outcome.result?.results[0]?.status, 'created');
    const subsegments = daemon.documents
      .filter((document) => document.trace_id === TRACE.root && document.parent_id === TRACE.parent)
      .sort((a, b) => Number(a.start_time) - Number(b.start_time));
    const names = subsegments.map((document) => {
      const aws = document.aws as { operation?: string } | undefined;
      return aws?.operation ? `${document.name} ${aws.operation}` : document.name;
    });
    assert.deepEqual(names, ['S3 GetObject', 'resize', 'S3 PutObject']);
    assert.ok(subsegments.every((document) => document.type === 'subsegment' && document.end_time !== undefined));
  });

  it('reads THUMBNAIL_VARIANTS at start-up and records one annotated resize subsegment per variant', async () => {
    // Prepare
    const daemon = await listenUdp();
    s3.objects.set('photos/variants/beach.jpg', { body: jpeg });
    const variants = [
      { name: 'thumb', size: '64x64' },
      { name: 'card', size: '160x120', format: 'webp' },
    ];
    const env = baseEnv(lambdaEnv({ AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.port}`, THUMBNAIL_VARIANTS: JSON.stringify(variants) }));

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'variants/beach.jpg')), env);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last datagrams land
    daemon.socket.close();

    // Assess
    assert.equal(outcome.result?.results[0]?.status, 'created', JSON.stringify(outcome));
    assert.equal(s3.objects.get('thumbs/variants/beach-64x64.jpg')?.contentType, 'image/jpeg');
    assert.equal(s3.objects.get('thumbs/variants/beach-160x120.webp')?.contentType, 'image/webp');
    const subsegments = daemon.documents
      .filter((document) => document.trace_id === TRACE.root && document.parent_id === TRACE.parent)
      .sort((a, b) => Number(a.start_time) - Number(b.start_time));
    const names = subsegments.map((document) => {
      const aws = document.aws as { operation?: string } | undefined;
      return aws?.operation ? `${document.name} ${aws.operation}` : document.name;
    });
    assert.deepEqual(names, ['S3 GetObject', 'decode', 'resize', 'S3 PutObject', 'resize', 'S3 PutObject']);
    assert.deepEqual(
      subsegments.filter((document) => document.name === 'resize').map((document) => document.annotations),
      [
        { variant: 'thumb', size: '64x64', fit: 'cover', format: 'jpeg' },
        { variant: 'card', size: '160x120', fit: 'cover', format: 'webp' },
      ],
    );
  });

  it('fails every invocation with the offending variant named when THUMBNAIL_VARIANTS is invalid', async () => {
    // Prepare
    const env = baseEnv({ THUMBNAIL_VARIANTS: '[{"name":"thumb","size":"64x64"},{"name":"hero","size":"0x10"}]' });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'x.jpg')), env);

    // Assess
    assert.deepEqual(outcome.error, {
      name: 'ConfigError',
      message: 'invalid configuration: THUMBNAIL_VARIANTS: variants[1] ("hero"): size "0x10" has a zero side',
    });
    assert.equal(outcome.logs.find((line) => line.level === 'ERROR')?.message, 'thumbnailer misconfigured');
  });

  it('refuses an SVG in the deployed bundle, whose libvips loaders are restricted', async () => {
    // Prepare
    s3.objects.set('photos/vector-32x32.png', { body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>') });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'vector-32x32.png')), baseEnv({}));

    // Assess
    assert.equal(outcome.result?.results[0]?.status, 'rejected');
    assert.match(String(outcome.result?.results[0]?.reason), /^unsupported image format: svg /);
  });

  it('works with tracing on and nothing listening on the X-Ray daemon port', async () => {
    // Prepare: no AWS_XRAY_DAEMON_ADDRESS, so segments go to the default 127.0.0.1:2000 and are lost.
    s3.objects.set('photos/nodaemon-32x32.jpg', { body: jpeg });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'nodaemon-32x32.jpg')), baseEnv(lambdaEnv()));

    // Assess
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.result?.results[0]?.status, 'created');
    assert.deepEqual(outcome.logs.filter((line) => line.level === 'ERROR'), []);
  });

  it('works with tracing on outside the Lambda runtime, warning that it does not trace', async () => {
    // Prepare: "in Lambda" for the Tracer (AWS_EXECUTION_ENV) but no LAMBDA_TASK_ROOT, so X-Ray has no segment.
    s3.objects.set('photos/outside-32x32.jpg', { body: jpeg });
    const env = baseEnv({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR' });

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'outside-32x32.jpg')), env);

    // Assess
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.result?.results[0]?.status, 'created');
    assert.deepEqual(warningsOf(outcome), [TRACING_MESSAGES.noLambdaContext]);
  });

  for (const contextMissing of ['LOG_ERROR', 'RUNTIME_ERROR', undefined]) {
    it(`works in Lambda when an invocation carries no trace data (AWS_XRAY_CONTEXT_MISSING=${contextMissing ?? 'unset'})`, async () => {
      // Prepare
      const key = `notrace-${contextMissing ?? 'unset'}-16x16.jpg`;
      s3.objects.set(`photos/${key}`, { body: jpeg });
      const env = baseEnv(lambdaEnv(contextMissing ? { AWS_XRAY_CONTEXT_MISSING: contextMissing } : {}));
      delete env._X_AMZN_TRACE_ID;
      if (!contextMissing) delete env.AWS_XRAY_CONTEXT_MISSING;

      // Act
      const outcome = await invoke(s3Event(putRecord('photos', key)), env);

      // Assess
      assert.equal(outcome.error, undefined, JSON.stringify(outcome.logs));
      assert.equal(outcome.result?.results[0]?.status, 'created');
      assert.deepEqual(outcome.logs.filter((line) => line.level === 'ERROR'), [], 'tracing problems are never errors');
      assert.ok(warningsOf(outcome).length > 0, 'but they are reported as warnings');
    });
  }

  it('fails the invocation loudly when THUMBNAIL_BUCKET is missing, without breaking the import', async () => {
    // Prepare
    const env = baseEnv({});
    delete env.THUMBNAIL_BUCKET;

    // Act
    const outcome = await invoke(s3Event(putRecord('photos', 'x-10x10.jpg')), env);

    // Assess
    assert.deepEqual(outcome.error, { name: 'ConfigError', message: 'invalid configuration: THUMBNAIL_BUCKET is not set' });
    assert.equal(outcome.logs.find((line) => line.level === 'ERROR')?.message, 'thumbnailer misconfigured');
  });
});
