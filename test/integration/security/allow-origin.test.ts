// `--allow-origin` for people who build a web app against the local cloud: the origin named gets a real CORS
// answer (a preflight that allows what SigV4 needs, and the actual answers, errors included, readable with their
// ETag and x-amz-* headers), while every other origin is still refused and unsigned requests stay refused even
// from the allowed one. The flag itself: repeatable, `*` only with a warning, anything but an origin a usage error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TEST_CREDENTIALS } from '../../helpers/local-cloud.js';
import { assertProtocolError, send, startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';
import { runThumbctl, startLocalServe } from '../../helpers/thumbctl.js';
import { signRaw } from './support.js';

const APP = 'http://localhost:5173';
let cloud: HostileCloud;
let bucket: string;

before(async () => {
  cloud = await startHostileCloud({ allowOrigins: [APP] });
  bucket = `cors-${Date.now().toString(36)}`;
  const s3 = new S3Client({ ...cloud.clientConfig });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
});

after(() => cloud.close());

/** What a page at APP sends before a signed PUT with the SDK's headers. */
function preflight(origin: string, path: string, method = 'PUT') {
  return send(cloud.endpoint, {
    method: 'OPTIONS',
    path,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-meta-owner,x-amz-user-agent',
      'sec-fetch-site': 'same-site',
      'sec-fetch-mode': 'cors',
    },
  });
}

describe('an allowed origin', () => {
  it('gets its preflight answered: the origin echoed, the methods, the headers it asked for, exposed headers, a max age', async () => {
    for (const path of [`/${bucket}/photo.jpg`, '/2015-03-31/functions/f/invocations', '/']) {
      const response = await preflight(APP, path, path === '/' ? 'POST' : 'PUT');
      assert.equal(response.status, 200, `${path}: ${response.body}`);
      assert.equal(response.headers['access-control-allow-origin'], APP);
      assert.match(String(response.headers['access-control-allow-methods']), /\bPUT\b.*\bPOST\b|\bPOST\b.*\bPUT\b/);
      assert.equal(response.headers['access-control-allow-headers'], 'amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-meta-owner,x-amz-user-agent');
      const exposed = String(response.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
      for (const name of ['etag', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-id-2']) assert.ok(exposed.includes(name), name);
      assert.match(String(response.headers['access-control-max-age']), /^[1-9]\d*$/);
      assert.match(String(response.headers.vary), /Origin/);
    }
  });

  it('reads the answers to its signed requests, errors included, with ETag and every x-amz-* header exposed', async () => {
    const put = await signRaw(cloud.endpoint, { service: 's3', method: 'PUT', path: `/${bucket}/photo.jpg`, headers: { 'x-amz-meta-owner': 'web-app' }, body: 'jpeg bytes' }, TEST_CREDENTIALS);
    const stored = await send(cloud.endpoint, { ...put, headers: { ...put.headers, origin: APP, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } });
    assert.equal(stored.status, 200, stored.body);
    assert.equal(stored.headers['access-control-allow-origin'], APP);
    assert.match(String(stored.headers.vary), /Origin/);
    assert.ok(String(stored.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/).includes('etag'));

    const get = await signRaw(cloud.endpoint, { service: 's3', method: 'GET', path: `/${bucket}/photo.jpg` }, TEST_CREDENTIALS);
    const read = await send(cloud.endpoint, { ...get, headers: { ...get.headers, origin: APP, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } });
    assert.equal(read.status, 200);
    assert.equal(read.body, 'jpeg bytes');
    assert.equal(read.headers['x-amz-meta-owner'], 'web-app');
    const exposed = String(read.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    for (const name of ['etag', 'x-amz-request-id', 'x-amz-meta-owner']) assert.ok(exposed.includes(name), name);

    const missing = await signRaw(cloud.endpoint, { service: 's3', method: 'GET', path: `/${bucket}/missing.jpg` }, TEST_CREDENTIALS);
    const notFound = await send(cloud.endpoint, { ...missing, headers: { ...missing.headers, origin: APP } });
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers['access-control-allow-origin'], APP, 'a page reads errors too');

    // An S3 GET the page makes without a signature (an <img crossorigin>, a fetch of a public object) is readable.
    const anonymous = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}/photo.jpg`, headers: { origin: APP, 'sec-fetch-site': 'same-site' } });
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.headers['access-control-allow-origin'], APP);
  });

  it('is still refused an unsigned write, readably', async () => {
    const response = await send(cloud.endpoint, { method: 'POST', path: '/2015-03-31/functions', headers: { origin: APP, 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(response.status, 403);
    assert.equal(assertProtocolError(response, 'rest-json'), 'MissingAuthenticationTokenException');
    assert.equal(response.headers['access-control-allow-origin'], APP);
  });

  it('works with the SDK sending the Origin a browser adds', async () => {
    const s3 = new S3Client({ ...cloud.clientConfig });
    const seen: Record<string, string>[] = [];
    s3.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers.origin = APP;
      const result = await next(args);
      seen.push((result.response as { headers: Record<string, string> }).headers);
      return result;
    }, { step: 'finalizeRequest', priority: 'low' });
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'from-sdk.txt', Body: 'sdk' }));
      assert.equal(seen[0]?.['access-control-allow-origin'], APP);
    } finally {
      s3.destroy();
    }
  });
});

describe('any other origin, with --allow-origin set', () => {
  it('is refused, preflight and request alike, without CORS headers', async () => {
    for (const origin of ['http://localhost:5174', 'https://localhost:5173', 'http://evil.example', 'null']) {
      const response = await preflight(origin, `/${bucket}/photo.jpg`);
      assert.equal(response.status, 403, origin);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
      assert.equal(assertProtocolError(response, 's3'), 'AccessDenied');
      const put = await signRaw(cloud.endpoint, { service: 's3', method: 'PUT', path: `/${bucket}/other.jpg`, body: 'x' }, TEST_CREDENTIALS);
      const refused = await send(cloud.endpoint, { ...put, headers: { ...put.headers, origin } });
      assert.equal(refused.status, 403, origin);
      assert.match(refused.body, /cross-origin requests are refused by the local cloud; start it with --allow-origin/);
    }
  });
});

describe('local serve --allow-origin', () => {
  const stateDirs: string[] = [];
  after(() => {
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  });
  const stateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-cors-'));
    stateDirs.push(dir);
    return dir;
  };

  it('is repeatable, answers the origins it names, and warns about *', async () => {
    const served = await startLocalServe(['--port', '0', '--state-dir', stateDir(), '--allow-origin', APP, '--allow-origin', 'https://app.example.com/'], { timeoutMs: 20_000 });
    try {
      assert.doesNotMatch(served.stderr(), /warning/);
      for (const origin of [APP, 'https://app.example.com']) {
        const response = await send(served.endpoint, { method: 'OPTIONS', path: '/', headers: { origin, 'access-control-request-method': 'POST' } });
        assert.equal(response.status, 200, origin);
        assert.equal(response.headers['access-control-allow-origin'], origin);
      }
      const other = await send(served.endpoint, { method: 'OPTIONS', path: '/', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
      assert.equal(other.status, 403);
    } finally {
      assert.equal(await served.stop(), 0);
    }
    const any = await startLocalServe(['--port', '0', '--state-dir', stateDir(), '--allow-origin', '*'], { timeoutMs: 20_000 });
    try {
      assert.match(any.stderr(), /^warning: --allow-origin \*: every web page you open can call the local cloud/m);
    } finally {
      assert.equal(await any.stop(), 0);
    }
  });

  it('refuses what is not an origin as a usage error, in one line', async () => {
    for (const value of ['localhost:5173', 'http://localhost:5173/app', 'file:///tmp/x.html']) {
      const result = await runThumbctl(['local', 'serve', '--port', '0', '--state-dir', stateDir(), '--allow-origin', value]);
      assert.equal(result.code, 2, value);
      assert.match(result.stderr, /^thumbctl: --allow-origin must be an origin like http:\/\/localhost:5173/m);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});
