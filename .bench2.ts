import http from 'node:http';
import { S3Client, PutObjectCommand, CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { startTestCloud } from './test/helpers/local-cloud.js';
const srv = http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, { etag: '"x"' }); res.end(); }); });
await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
const noop = new S3Client({ endpoint: `http://127.0.0.1:${(srv.address() as any).port}`, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, forcePathStyle: true });
const cloud = await startTestCloud();
const s3 = new S3Client({ ...cloud.clientConfig });
await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
const a: number[] = [], b: number[] = [], g: number[] = [];
for (let i = 0; i < 300; i++) {
  const body = randomBytes(100 * 1024);
  let t = performance.now(); await noop.send(new PutObjectCommand({ Bucket: 'bench', Key: `k${i}`, Body: body })); a.push(performance.now() - t);
  t = performance.now(); await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `k${i}`, Body: body })); b.push(performance.now() - t);
  t = performance.now(); const r = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: `k${i}` })); await r.Body!.transformToByteArray(); g.push(performance.now() - t);
}
const p = (x: number[], q: number) => [...x].sort((m, n) => m - n)[Math.floor(x.length * q)]!.toFixed(2);
console.log(`no-op put p50 ${p(a, .5)} p90 ${p(a, .9)} | local-cloud put p50 ${p(b, .5)} p90 ${p(b, .9)} | get p50 ${p(g, .5)} p90 ${p(g, .9)}`);
noop.destroy(); s3.destroy(); srv.close(); await cloud.close();
