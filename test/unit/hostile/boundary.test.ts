// The browser boundary's rules one by one (emulator/core/boundary.ts): which Host names mean this machine, which
// --allow-origin values are origins, what a page's request looks like and how each is judged, the CORS headers
// an allowed origin gets, and the cloud log's bound on refusal lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserBoundary, corsResponseHeaders, isServedHost, judgeRequest, normaliseAllowedOrigin, RefusalLog, type BoundaryRequest } from '../../../emulator/core/boundary.js';

const loopback = browserBoundary('127.0.0.1');

describe('isServedHost', () => {
  it('serves loopback, localhost and its subdomains, and localhost.localstack.cloud', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:4566', '127.255.0.9:1', 'localhost', 'LocalHost:4566', 'localhost.', 'a.localhost', 'my-bucket.s3.localhost:4566', '[::1]', '[::1]:4566', '::1', '[0:0:0:0:0:0:0:1]:4566', '[::ffff:127.0.0.1]:4566', 'localhost.localstack.cloud:4566', 'bucket.s3.localhost.localstack.cloud']) {
      assert.equal(isServedHost(host, loopback), true, host);
    }
  });

  it('refuses every other name, and what is no host at all', () => {
    for (const host of ['evil.example', 'evil.example:4566', 'localhost.evil.example', 'evillocalhost', 'xlocalhost.localstack.cloud', 'localstack.cloud', '127.0.0.1.nip.io', '10.0.0.1', '0.0.0.0', '[::]', '[fe80::1]', '[::ffff:10.0.0.1]', '127.0.0.1@evil.example', 'localhost:port', 'localhost:123456', '[::1', '', ' ', 'local host', 'localhost/x']) {
      assert.equal(isServedHost(host, loopback), false, host);
    }
  });

  it('serves what --host names, and on a wildcard bind this machine\'s addresses', () => {
    assert.equal(isServedHost('192.168.7.7:4566', browserBoundary('192.168.7.7')), true);
    assert.equal(isServedHost('192.168.7.8:4566', browserBoundary('192.168.7.7')), false);
    assert.equal(isServedHost('devbox.lan', browserBoundary('devbox.lan')), true);
    const wildcard = browserBoundary('0.0.0.0');
    assert.equal(isServedHost('0.0.0.0:4566', wildcard), true);
    assert.equal(isServedHost('evil.example', wildcard), false);
    assert.ok([...wildcard.hosts].length > 1, 'interface addresses and the host name');
  });
});

describe('normaliseAllowedOrigin', () => {
  it('takes exact origins (a trailing slash forgiven) and *', () => {
    assert.equal(normaliseAllowedOrigin('http://localhost:5173'), 'http://localhost:5173');
    assert.equal(normaliseAllowedOrigin('http://localhost:5173/'), 'http://localhost:5173');
    assert.equal(normaliseAllowedOrigin('https://app.example.com'), 'https://app.example.com');
    assert.equal(normaliseAllowedOrigin('HTTP://LocalHost:5173'), 'http://localhost:5173', 'as a browser writes it');
    assert.equal(normaliseAllowedOrigin('*'), '*');
  });

  it('refuses what is not an origin, with one line naming the flag', () => {
    for (const value of ['localhost:5173', 'http://localhost:5173/app', 'ftp://x', 'null', 'http://user@x', 'http://x?y', '', 'http://*.example.com']) {
      assert.throws(() => normaliseAllowedOrigin(value), (error: Error) => /^--allow-origin must be an origin like http:\/\/localhost:5173/.test(error.message) && !error.message.includes('\n'), value);
    }
  });
});

function request(overrides: Partial<BoundaryRequest> = {}): BoundaryRequest {
  return { method: 'GET', hosts: ['127.0.0.1:4566'], origins: [], service: 's3', path: '/bucket/key', signed: true, ...overrides };
}

describe('judgeRequest', () => {
  it('admits what the SDKs and the aws CLI send, and anonymous S3 reads', () => {
    for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']) {
      for (const service of ['s3', 'iam', 'sts', 'lambda', 'logs', 'xray'] as const) assert.equal(judgeRequest(request({ method, service }), loopback).verdict, 'admit');
    }
    assert.equal(judgeRequest(request({ signed: false }), loopback).verdict, 'admit');
    assert.equal(judgeRequest(request({ method: 'HEAD', signed: false }), loopback).verdict, 'admit');
    assert.equal(judgeRequest(request({ hosts: [] }), loopback).verdict, 'admit', 'HTTP/1.0 without Host: no browser sends that');
    // GetFunction's Code.Location, a presigned S3 URL at AWS; no other Lambda path.
    assert.equal(judgeRequest(request({ service: 'lambda', path: '/2015-03-31/code-download/abc.zip', signed: false }), loopback).verdict, 'admit');
    assert.equal(judgeRequest(request({ service: 'lambda', path: '/2015-03-31/functions', signed: false }), loopback).verdict, 'refuse');
    assert.equal(judgeRequest(request({ method: 'POST', service: 'lambda', path: '/2015-03-31/code-download/abc.zip', signed: false }), loopback).verdict, 'refuse');
  });

  it('refuses, in order: a foreign Host, an Origin, a cross-site non-read, an unsigned non-read', () => {
    const reason = (overrides: Partial<BoundaryRequest>) => {
      const decision = judgeRequest(request(overrides), loopback);
      return decision.verdict === 'refuse' ? `${decision.reason} ${decision.error.code} ${decision.error.status}` : decision.verdict;
    };
    assert.equal(reason({ hosts: ['evil.example'] }), 'host AccessDenied 403');
    assert.equal(reason({ hosts: ['127.0.0.1', 'evil.example'] }), 'host AccessDenied 403');
    assert.equal(reason({ hosts: ['127.0.0.1', '127.0.0.1'] }), 'host AccessDenied 403');
    assert.equal(reason({ targetAuthority: 'evil.example' }), 'host AccessDenied 403');
    assert.equal(reason({ origins: ['https://evil.example'] }), 'origin AccessDenied 403');
    assert.equal(reason({ origins: ['null'], service: 'lambda' }), 'origin AccessDeniedException 403');
    assert.equal(reason({ origins: ['http://127.0.0.1:4566'], service: 'iam' }), 'origin AccessDenied 403');
    assert.equal(reason({ method: 'OPTIONS', origins: ['https://evil.example'], requestMethod: 'POST' }), 'origin AccessDenied 403');
    assert.equal(reason({ method: 'POST', secFetchSite: 'cross-site' }), 'fetch-site AccessDenied 403');
    assert.equal(reason({ method: 'PUT', secFetchSite: 'Same-Site' }), 'fetch-site AccessDenied 403');
    assert.equal(reason({ method: 'GET', secFetchSite: 'cross-site', service: 'iam' }), 'fetch-site AccessDenied 403');
    assert.equal(reason({ method: 'GET', secFetchSite: 'cross-site' }), 'admit');
    assert.equal(reason({ method: 'POST', secFetchSite: 'same-origin' }), 'admit');
    assert.equal(reason({ method: 'POST', secFetchSite: 'none' }), 'admit');
    assert.equal(reason({ method: 'POST', signed: false }), 'unsigned AccessDenied 403');
    assert.equal(reason({ method: 'OPTIONS', signed: false }), 'unsigned AccessDenied 403');
    assert.equal(reason({ method: 'POST', signed: false, service: 'iam' }), 'unsigned MissingAuthenticationToken 403');
    assert.equal(reason({ method: 'GET', signed: false, service: 'lambda' }), 'unsigned MissingAuthenticationTokenException 403');
    assert.equal(reason({ method: 'POST', signed: false, service: 'logs' }), 'unsigned MissingAuthenticationTokenException 400', 'as Logs answers a missing token');
  });

  it('answers an allowed origin\'s preflight, admits its signed requests, refuses its unsigned ones (readably)', () => {
    const app = browserBoundary('127.0.0.1', ['http://localhost:5173']);
    const preflight = judgeRequest(request({ method: 'OPTIONS', origins: ['http://localhost:5173'], requestMethod: 'PUT', requestHeaders: 'authorization, x-amz-date, x-amz-content-sha256', requestPrivateNetwork: 'true', signed: false }), app);
    assert.equal(preflight.verdict, 'preflight');
    if (preflight.verdict !== 'preflight') return;
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:5173');
    assert.match(preflight.headers['access-control-allow-methods']!, /\bPUT\b/);
    assert.equal(preflight.headers['access-control-allow-headers'], 'authorization, x-amz-date, x-amz-content-sha256');
    assert.match(preflight.headers['access-control-expose-headers']!, /\bETag\b.*\bx-amz-request-id\b.*\bx-amz-version-id\b/);
    assert.match(preflight.headers['access-control-max-age']!, /^\d+$/);
    assert.equal(preflight.headers['access-control-allow-private-network'], 'true');
    assert.match(preflight.headers.vary!, /Origin/);
    const badHeaders = judgeRequest(request({ method: 'OPTIONS', origins: ['http://localhost:5173'], requestMethod: 'PUT', requestHeaders: 'a b\u0000' }), app);
    assert.ok(badHeaders.verdict === 'preflight' && badHeaders.headers['access-control-allow-headers'] === undefined);

    assert.deepEqual(judgeRequest(request({ method: 'PUT', origins: ['http://localhost:5173'], secFetchSite: 'same-site' }), app), { verdict: 'admit', origin: 'http://localhost:5173' });
    const unsigned = judgeRequest(request({ method: 'POST', origins: ['http://localhost:5173'], signed: false }), app);
    assert.ok(unsigned.verdict === 'refuse' && unsigned.reason === 'unsigned' && unsigned.origin === 'http://localhost:5173');
    assert.equal(judgeRequest(request({ method: 'PUT', origins: ['http://localhost:5174'] }), app).verdict, 'refuse');
    assert.equal(judgeRequest(request({ method: 'PUT', origins: ['http://localhost:5173'], hosts: ['evil.example'] }), app).verdict, 'refuse', 'Host first');
    const any = browserBoundary('127.0.0.1', ['*']);
    assert.equal(judgeRequest(request({ method: 'PUT', origins: ['https://anything.example'] }), any).verdict, 'admit');
    assert.equal(judgeRequest(request({ method: 'PUT', origins: ['https://anything.example'], signed: false }), any).verdict, 'refuse', '* still needs a signature');
  });
});

describe('corsResponseHeaders', () => {
  it('echoes the origin, exposes the fixed list and every x-amz-* header of the answer, and varies on Origin', () => {
    const headers = corsResponseHeaders('http://localhost:5173', { etag: '"x"', 'x-amz-meta-owner': 'me', 'x-amz-version-id': 'v', 'content-type': 'text/plain' });
    assert.equal(headers['access-control-allow-origin'], 'http://localhost:5173');
    const exposed = headers['access-control-expose-headers']!.split(', ');
    for (const name of ['etag', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-meta-owner', 'x-amzn-requestid']) assert.ok(exposed.includes(name), name);
    assert.equal(headers.vary, 'Origin');
  });
});

describe('RefusalLog', () => {
  it('writes at most 20 lines in ten seconds, then says how many it dropped', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new RefusalLog((line) => lines.push(line), () => now);
    for (let i = 0; i < 1000; i++) log.write(`refused ${i}`);
    assert.equal(lines.length, 20);
    now = 10_000;
    log.write('refused later');
    assert.equal(lines.length, 21);
    assert.equal(lines[20], 'refused later (980 earlier refusals not logged)');
  });
});
