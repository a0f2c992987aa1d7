// The browser boundary, attacked as a web page would: simple cross-site POSTs (text/plain and form bodies, no
// preflight) that chain IAM CreateRole, Lambda CreateFunction and Invoke; the same without an Origin but also
// without a signature; DNS rebinding (a foreign Host); Fetch Metadata saying cross-site; a preflight from an
// origin no one allowed. Each is refused before any router runs, and the SDK then finds nothing created and no
// invocation; ordinary clients (SDK, aws CLI, a presigned URL fetched without an Origin) are unaffected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { assertProtocolError, rawExchange, scopeAuthorization, send, type Protocol, type RawResponse } from '../../helpers/hostile.js';
import { awsOk } from '../../helpers/local-cloud.js';
import { createFixtureFunction, eventually, functionLogEvents, LAMBDA_TRUST_POLICY, startLambdaCloud, uniqueName, type LambdaTestCloud } from '../lambda/support.js';

const EVIL = 'https://evil.example';
let cloud: LambdaTestCloud;
let s3: S3Client;
let logLines: string[];
let bucket: string;
let zipBase64: string;

before(async () => {
  logLines = [];
  cloud = await startLambdaCloud({ log: (line) => logLines.push(line) });
  s3 = new S3Client({ ...cloud.clientConfig });
  bucket = uniqueName('browser');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'photo.txt', Body: 'object body' }));
  zipBase64 = (await zipFixture('inspect')).toString('base64');
});

after(async () => {
  s3.destroy();
  await cloud.close();
});

/** The three requests of the reported attack, as a page's `fetch(..., { mode: 'no-cors' })` or form sends them. */
function attackChain(roleName: string, functionName: string, roleArn: string): { label: string; protocol: Protocol; method: string; path: string; contentType: string; body: string }[] {
  const createRole = new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }).toString();
  const createFunction = JSON.stringify({ FunctionName: functionName, Runtime: 'nodejs22.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: zipBase64 } });
  return [
    { label: 'IAM CreateRole (text/plain)', protocol: 's3', method: 'POST', path: '/', contentType: 'text/plain', body: createRole },
    { label: 'IAM CreateRole (form)', protocol: 'query', method: 'POST', path: '/', contentType: 'application/x-www-form-urlencoded', body: createRole },
    { label: 'IAM CreateRole (GET query)', protocol: 'query', method: 'GET', path: `/?${createRole}`, contentType: 'text/plain', body: '' },
    { label: 'Lambda CreateFunction', protocol: 'rest-json', method: 'POST', path: '/2015-03-31/functions', contentType: 'text/plain', body: createFunction },
    { label: 'Lambda Invoke', protocol: 'rest-json', method: 'POST', path: `/2015-03-31/functions/${functionName}/invocations`, contentType: 'text/plain', body: '{"from":"a web page"}' },
  ];
}

async function assertNothingCreated(roleName: string, functionName: string): Promise<void> {
  await assert.rejects(cloud.iam.send(new GetRoleCommand({ RoleName: roleName })), { name: 'NoSuchEntityException' });
  await assert.rejects(cloud.lambda.send(new GetFunctionCommand({ FunctionName: functionName })), { name: 'ResourceNotFoundException' });
}

function assertRefused(response: RawResponse, protocol: Protocol, why: RegExp, label: string): void {
  assert.equal(response.status, 403, `${label}: ${response.status} ${response.body.slice(0, 300)}`);
  const code = assertProtocolError(response, protocol, label);
  assert.match(code, /^(AccessDenied|AccessDeniedException|MissingAuthenticationToken|MissingAuthenticationTokenException)$/, label);
  assert.match(response.body, why, label);
}

describe('a web page', () => {
  it('cannot create a role or a function with simple cross-site POSTs (Origin: another site)', async () => {
    const roleName = uniqueName('evil-role');
    const functionName = uniqueName('evil-fn');
    for (const request of attackChain(roleName, functionName, cloud.roleArn)) {
      if (request.label === 'Lambda Invoke') continue;
      const response = await send(cloud.endpoint, { method: request.method, path: request.path, headers: { origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'content-type': request.contentType }, body: request.body || undefined });
      assertRefused(response, request.protocol, /cross-origin requests are refused by the local cloud; start it with --allow-origin/, request.label);
    }
    await assertNothingCreated(roleName, functionName);
  });

  it('cannot create anything with unsigned requests either, Origin or not', async () => {
    const roleName = uniqueName('unsigned-role');
    const functionName = uniqueName('unsigned-fn');
    for (const request of attackChain(roleName, functionName, cloud.roleArn)) {
      if (request.label === 'Lambda Invoke') continue;
      const response = await send(cloud.endpoint, { method: request.method, path: request.path, headers: { 'content-type': request.contentType }, body: request.body || undefined });
      assertRefused(response, request.protocol, /requests without a SigV4 signature are refused/, request.label);
      // AWS's own code for an unsigned call, in each protocol.
      assert.equal(assertProtocolError(response, request.protocol), { s3: 'AccessDenied', query: 'MissingAuthenticationToken' }[request.protocol as string] ?? 'MissingAuthenticationTokenException', request.label);
    }
    await assertNothingCreated(roleName, functionName);
    // The same CreateFunction, signed (any key: this cloud verifies none), is served: the refusal above was the
    // boundary's, not the request's.
    const signed = await send(cloud.endpoint, {
      method: 'POST',
      path: '/2015-03-31/functions',
      headers: { 'content-type': 'application/json', authorization: scopeAuthorization('lambda') },
      body: attackChain(roleName, functionName, cloud.roleArn)[3]!.body,
    });
    assert.equal(signed.status, 201, signed.body.slice(0, 300));
  });

  it('cannot run an existing function (cross-site Invoke, or unsigned), while a signed Invoke runs it once', async () => {
    const fn = await createFixtureFunction(cloud, 'inspect');
    const invoke = attackChain('x', fn.FunctionName, cloud.roleArn).find((request) => request.label === 'Lambda Invoke')!;
    const variants: Record<string, string>[] = [
      { origin: EVIL, 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site', authorization: scopeAuthorization('lambda') },
      { 'sec-fetch-site': 'same-site', authorization: scopeAuthorization('lambda') },
      {},
    ];
    for (const headers of variants) {
      const response = await send(cloud.endpoint, { method: 'POST', path: invoke.path, headers: { 'content-type': 'text/plain', ...headers }, body: invoke.body });
      assert.equal(response.status, 403, `${JSON.stringify(headers)}: ${response.body.slice(0, 200)}`);
      assertProtocolError(response, 'rest-json', JSON.stringify(headers));
    }
    // Prove the function can run, and count: exactly one START line, the SDK's.
    const ran = await cloud.lambda.send(new InvokeCommand({ FunctionName: fn.FunctionName, Payload: Buffer.from('{"from":"the sdk"}') }));
    assert.equal(ran.FunctionError, undefined);
    const starts = await eventually(async () => {
      const events = (await functionLogEvents(cloud, fn.FunctionName)).filter((event) => event.message?.startsWith('START'));
      // Logs arrive after the invocation returns: poll until the START line is there (eventually retries on undefined).
      return events.length >= 1 ? events : undefined;
    }, 30_000, "the invocation's START line");
    assert.equal(starts.length, 1, 'only the signed invocation ran');
  });

  it('is refused under DNS rebinding: a Host that does not name this machine', async () => {
    const port = new URL(cloud.endpoint).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `attacker.localstack.cloud:${port}`, `10.1.2.3:${port}`, `[fe80::1]:${port}`, `127.0.0.1@evil.example:${port}`, 'bad host']) {
      const get = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}/photo.txt`, headers: { host } });
      assert.equal(get.status, 403, `GET with Host ${host}: ${get.body.slice(0, 200)}`);
      assert.equal(assertProtocolError(get, 's3', host), 'AccessDenied');
      if (host === 'evil.example') assert.match(get.body, /Host &apos;evil\.example&apos; is not served by this local cloud|Host 'evil\.example' is not served by this local cloud/);
      const signed = await send(cloud.endpoint, { method: 'GET', path: '/?Action=ListRoles&Version=2010-05-08', headers: { host, authorization: scopeAuthorization('iam') } });
      assert.equal(signed.status, 403, `signed IAM with Host ${host}`);
      assert.equal(assertProtocolError(signed, 'query', host), 'AccessDenied');
    }
    // An absolute-form target naming another host is judged too.
    const absolute = await send(cloud.endpoint, { method: 'GET', path: `http://evil.example/${bucket}/photo.txt` });
    assert.equal(absolute.status, 403);
    // An empty Host, and two of them (node's client sends neither: raw bytes).
    for (const hostLines of ['Host: \r\n', `Host: 127.0.0.1:${port}\r\nHost: evil.example\r\n`]) {
      const raw = await rawExchange(cloud.endpoint, [`GET /${bucket}/photo.txt HTTP/1.1\r\n${hostLines}Connection: close\r\n\r\n`], { untilResponse: true });
      assert.ok(raw.status === 403 || raw.status === 400, `${JSON.stringify(hostLines)}: ${raw.raw.slice(0, 200)}`);
      assert.doesNotMatch(raw.raw, /object body/);
    }
  });

  it('serves every name of this machine', async () => {
    const port = new URL(cloud.endpoint).port;
    for (const host of [`127.0.0.1:${port}`, '127.0.0.1', `127.1.2.3:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, `[::1]:${port}`, `localhost.localstack.cloud:${port}`]) {
      const get = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}/photo.txt`, headers: { host } });
      assert.equal(get.status, 200, `Host ${host}: ${get.body.slice(0, 200)}`);
      assert.equal(get.body, 'object body');
    }
    // Subdomains, LocalStack-style virtual hosts included, are admitted (whether S3 reads a bucket from the name
    // is routing's business): whatever the answer, it is not the boundary's refusal.
    for (const host of [`${bucket}.localhost:${port}`, `app.localhost:${port}`, `${bucket}.s3.localhost.localstack.cloud:${port}`]) {
      const get = await send(cloud.endpoint, { method: 'GET', path: '/photo.txt', headers: { host } });
      assert.doesNotMatch(get.body, /is not served by this local cloud/, `Host ${host}`);
      assert.notEqual(get.status, 403, `Host ${host}: ${get.body.slice(0, 200)}`);
    }
  });

  it('is refused a cross-site or same-site request that is not an S3 read (Fetch Metadata)', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const put = await send(cloud.endpoint, { method: 'PUT', path: `/${bucket}/from-page.txt`, headers: { 'sec-fetch-site': site, authorization: scopeAuthorization('s3') }, body: 'x' });
      assert.equal(put.status, 403, `${site} PUT`);
      assert.match(put.body, /Sec-Fetch-Site/);
      // A GET of an IAM action with a forged presigned signature, as an <img> would send it.
      const img = await send(cloud.endpoint, {
        method: 'GET',
        path: `/?Action=CreateRole&Version=2010-05-08&RoleName=img-role&AssumeRolePolicyDocument=%7B%7D&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20260101%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`,
        headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      });
      assert.equal(img.status, 403, `${site} img`);
      assert.equal(assertProtocolError(img, 'query'), 'AccessDenied');
    }
    await assert.rejects(cloud.iam.send(new GetRoleCommand({ RoleName: 'img-role' })), { name: 'NoSuchEntityException' });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-page.txt' })), { name: 'NoSuchKey' });
    // An S3 read from another site (an <img> of an object) is served; so is anything the person typed (`none`).
    const image = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}/photo.txt`, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
    assert.equal(image.status, 200);
    const typed = await send(cloud.endpoint, { method: 'PUT', path: `/${bucket}/typed.txt`, headers: { 'sec-fetch-site': 'none', authorization: scopeAuthorization('s3') }, body: 'x' });
    assert.equal(typed.status, 200, typed.body);
  });

  it('gets its CORS preflight refused when its origin was not allowed', async () => {
    const preflight = await send(cloud.endpoint, {
      method: 'OPTIONS',
      path: '/2015-03-31/functions',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-amz-date' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal(assertProtocolError(preflight, 'rest-json'), 'AccessDeniedException');
  });

  it('logs each refusal to the cloud log, saying why and without the signature', () => {
    const refusals = logLines.filter((line) => /refused/.test(line));
    assert.ok(refusals.some((line) => /evil\.example/.test(line) && /Origin|cross-origin/.test(line)), refusals.join('\n'));
    assert.ok(refusals.some((line) => /Host/.test(line)));
    assert.ok(refusals.some((line) => /without a SigV4 signature/.test(line)));
    for (const line of refusals) assert.doesNotMatch(line, /Signature=|X-Amz-Signature/);
  });
});

describe('ordinary clients', () => {
  it('still work: the SDK, a presigned GET without an Origin, an anonymous S3 GET and HEAD, the aws CLI', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'photo.txt' }), { expiresIn: 60 });
    const target = new URL(url);
    const presigned = await send(cloud.endpoint, { method: 'GET', path: `${target.pathname}${target.search}`, headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
    assert.equal(presigned.status, 200);
    assert.equal(presigned.body, 'object body');
    const anonymous = await send(cloud.endpoint, { method: 'GET', path: `/${bucket}/photo.txt` });
    assert.equal(anonymous.status, 200);
    const head = await send(cloud.endpoint, { method: 'HEAD', path: `/${bucket}/photo.txt` });
    assert.equal(head.status, 200);
    assert.match(await awsOk(cloud.endpoint, ['s3', 'cp', `s3://${bucket}/photo.txt`, '-']), /object body/);
    await awsOk(cloud.endpoint, ['s3', 'cp', '-', `s3://${bucket}/from-cli.txt`], 'from the cli');
    assert.match(await awsOk(cloud.endpoint, ['s3api', 'list-objects-v2', '--bucket', bucket]), /from-cli\.txt/);
    assert.match(await awsOk(cloud.endpoint, ['iam', 'list-roles']), /lambda-test-/);
    assert.match(await awsOk(cloud.endpoint, ['lambda', 'list-functions']), /Functions/);
  });
});
