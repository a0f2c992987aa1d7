// The browser boundary against a real browser (headless Chromium): a page on another site runs the reported
// attack chain with the requests a page can make without asking (no-cors fetch with text/plain and form bodies,
// sendBeacon, an <img> of a forged presigned IAM URL), and nothing is created nor run; a page on an origin
// opted into with --allow-origin goes through Chromium's real CORS checks (preflight included) and reads answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { zipFixture } from '../../fixtures/functions/build-zip.js';
import { createFixtureFunction, functionLogEvents, LAMBDA_TRUST_POLICY, startLambdaCloud, uniqueName, type LambdaTestCloud } from '../lambda/support.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path));
const skip = CHROMIUM === undefined ? 'no Chromium on this machine' : false;

let cloud: LambdaTestCloud;
let pages: Server;
let pagePort: number;
let logLines: string[];
/** The HTML each path of the page server answers with. */
const pageHtml = new Map<string, string>();

before(async () => {
  if (skip) return;
  logLines = [];
  cloud = await startLambdaCloud({ log: (line) => logLines.push(line), allowOrigins: [] });
  pages = createServer((req, res) => {
    const html = pageHtml.get(req.url ?? '');
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html' }).end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pagePort = (pages.address() as AddressInfo).port;
});

after(async () => {
  if (skip) return;
  pages.close();
  await cloud.close();
});

/**
 * Opens `url` in headless Chromium, with evil.example and app.example resolving to 127.0.0.1, and returns the text
 * the page left in <pre id="result"> once it is done (the page sets it last).
 */
function openInChromium(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP app.example 127.0.0.1', '--virtual-time-budget=15000', '--dump-dom', url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let dom = '';
    child.stdout.on('data', (chunk) => (dom += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const result = /<pre id="result">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
      if (result === undefined) reject(new Error(`the page did not finish: ${dom.slice(0, 500)}`));
      else resolve(result.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    });
  });
}

/** A page that runs `script` (an async function body returning JSON-able results) and prints what it returned. */
function page(script: string): string {
  return `<!doctype html><html><body><pre id="pending">running</pre><script>
(async () => {
  let result;
  try { result = await (async () => { ${script} })(); } catch (error) { result = { thrown: String(error) }; }
  const pre = document.createElement('pre');
  pre.id = 'result';
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
})();
</script></body></html>`;
}

describe('a page on another site, in Chromium', { skip }, () => {
  it('runs the attack chain and nothing is created, nothing runs', async () => {
    const roleName = uniqueName('browser-role');
    const functionName = uniqueName('browser-fn');
    const existing = await createFixtureFunction(cloud, 'inspect');
    const zip = (await zipFixture('inspect')).toString('base64');
    const createRole = new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }).toString();
    const createFunction = JSON.stringify({ FunctionName: functionName, Runtime: 'nodejs22.x', Role: cloud.roleArn, Handler: 'index.handler', Code: { ZipFile: zip } });
    const forgedPresign = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20260101%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`;
    pageHtml.set(
      '/attack',
      page(`
        const cloud = ${JSON.stringify(cloud.endpoint)};
        const sent = [];
        const post = async (path, type, body) => {
          try { await fetch(cloud + path, { method: 'POST', mode: 'no-cors', headers: { 'content-type': type }, body }); sent.push(path); } catch (error) { sent.push(path + ' ' + error); }
        };
        await post('/', 'text/plain', ${JSON.stringify(createRole)});
        await post('/', 'application/x-www-form-urlencoded', ${JSON.stringify(createRole)});
        await post('/2015-03-31/functions', 'text/plain', ${JSON.stringify(createFunction)});
        await post('/2015-03-31/functions/${existing.FunctionName}/invocations', 'text/plain', '{"from":"a web page"}');
        navigator.sendBeacon(cloud + '/2015-03-31/functions/${existing.FunctionName}/invocations', '{"from":"a beacon"}');
        await new Promise((resolve) => { const img = new Image(); img.onload = img.onerror = resolve; img.src = cloud + '/?' + ${JSON.stringify(`${createRole}&${forgedPresign}`)}; });
        await new Promise((resolve) => setTimeout(resolve, 500));
        return sent;
      `),
    );

    const result = JSON.parse(await openInChromium(`http://evil.example:${pagePort}/attack`)) as string[];

    assert.equal(result.length, 4, JSON.stringify(result));
    // The requests did reach the cloud (the browser sent them), and were refused there.
    const refusals = logLines.filter((line) => line.includes('refused') && line.includes('evil.example'));
    assert.ok(refusals.length >= 5, refusals.join('\n'));
    await assert.rejects(cloud.iam.send(new GetRoleCommand({ RoleName: roleName })), { name: 'NoSuchEntityException' });
    await assert.rejects(cloud.lambda.send(new GetFunctionCommand({ FunctionName: functionName })), { name: 'ResourceNotFoundException' });
    const starts = (await functionLogEvents(cloud, existing.FunctionName)).filter((event) => event.message?.startsWith('START'));
    assert.equal(starts.length, 0, 'the existing function never ran');
  });
});

describe('a page on an origin opted into, in Chromium', { skip }, () => {
  it('passes Chromium\'s CORS checks, preflight included, and reads answers and their headers', async () => {
    const app = await startLambdaCloud({ allowOrigins: [`http://app.example:${pagePort}`] });
    const s3 = new S3Client({ ...app.clientConfig });
    try {
      const bucket = uniqueName('cors-page');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello from the cloud', Metadata: { owner: 'app' } }));
      // A well-formed header the cloud does not verify (no --require-auth): what a page signing with any key sends.
      const authorization = `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
      const script = `
        const cloud = ${JSON.stringify(app.endpoint)};
        const read = await fetch(cloud + '/${bucket}/hello.txt');
        const put = await fetch(cloud + '/${bucket}/from-page.txt', { method: 'PUT', headers: { authorization: ${JSON.stringify(authorization)}, 'x-amz-date': '20260101T000000Z', 'content-type': 'text/plain' }, body: 'written by the page' });
        return { read: await read.text(), etag: read.headers.get('etag'), owner: read.headers.get('x-amz-meta-owner'), requestId: read.headers.get('x-amz-request-id'), putStatus: put.status, putEtag: put.headers.get('etag') };
      `;
      pageHtml.set('/app', page(script));
      pageHtml.set('/other', page(script));

      const allowed = JSON.parse(await openInChromium(`http://app.example:${pagePort}/app`)) as Record<string, unknown>;
      assert.equal(allowed.read, 'hello from the cloud', JSON.stringify(allowed));
      assert.match(String(allowed.etag), /^"[0-9a-f]{32}"$/);
      assert.equal(allowed.owner, 'app');
      assert.match(String(allowed.requestId), /\S/);
      assert.equal(allowed.putStatus, 200);
      assert.match(String(allowed.putEtag), /^"[0-9a-f]{32}"$/);
      const written = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-page.txt' }));
      assert.equal(await written.Body!.transformToString(), 'written by the page');

      // The same page from an origin not opted into: Chromium gets no CORS answer and the page reads nothing.
      const refused = JSON.parse(await openInChromium(`http://evil.example:${pagePort}/other`)) as Record<string, unknown>;
      assert.match(String(refused.thrown), /TypeError|Failed to fetch/, JSON.stringify(refused));
    } finally {
      s3.destroy();
      await app.close();
    }
  });
});
