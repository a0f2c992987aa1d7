import { S3Client, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { S3Router } from './emulator/services/s3/router.js';
import { S3Store } from './emulator/services/s3/store.js';
import { startTestCloud } from './test/helpers/local-cloud.js';
const h: number[] = [], s: number[] = [], e: number[] = [];
const origHandle = S3Router.prototype.handle;
S3Router.prototype.handle = async function (req) { const t = performance.now(); const r = await origHandle.call(this, req); if (req.method === 'PUT') h.push(performance.now() - t); return r; };
const origPut = S3Store.prototype.putObject;
S3Store.prototype.putObject = async function (...args: Parameters<typeof origPut>) { const t = performance.now(); const r = await origPut.apply(this, args); s.push(performance.now() - t); return r; };
const cloud = await startTestCloud();
const s3 = new S3Client({ ...cloud.clientConfig });
await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
for (let i = 0; i < 200; i++) {
  const body = randomBytes(100 * 1024);
  const t = performance.now(); await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `k${i}`, Body: body })); e.push(performance.now() - t);
}
const p = (x: number[], q: number) => [...x].sort((m, n) => m - n)[Math.floor(x.length * q)]!.toFixed(2);
console.log(`end-to-end p50 ${p(e, .5)} | router.handle p50 ${p(h, .5)} | store.putObject p50 ${p(s, .5)}`);
s3.destroy(); await cloud.close();
