// The lightest stack a user could pick instead of thumbctl, for `npm run bench:peer`: s3rver (a dev dependency)
// with the same sharp resize called in-process on each put event, no Lambda semantics at all. A child process of
// its own, so its memory is its own; it prints {"port": N} once listening. Never part of the product.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const directory = mkdtempSync(join(tmpdir(), 'thumbctl-peer-'));
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'source' }, { name: 'thumbnails' }] });
const { port } = await server.run();
const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
let sharp; // loaded on the first event, as a function's init would
server.on('event', async (event) => {
  const record = event.Records?.[0];
  if (!record || record.s3.bucket.name !== 'source' || !record.eventName.startsWith('ObjectCreated')) return;
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const size = /-(\d+)x(\d+)\.[a-z]+$/i.exec(key);
  if (!size) return;
  try {
    sharp ??= (await import('sharp')).default;
    sharp.cache(false);
    sharp.concurrency(1);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'source', Key: key }));
    const body = Buffer.from(await got.Body.transformToByteArray());
    const thumbnail = await sharp(body).rotate().resize(Number(size[1]), Number(size[2]), { fit: 'cover' }).jpeg({ quality: 80 }).toBuffer();
    await s3.send(new PutObjectCommand({ Bucket: 'thumbnails', Key: key, Body: thumbnail, ContentType: 'image/jpeg' }));
  } catch (error) {
    process.stderr.write(`peer: ${key}: ${error.message}\n`);
  }
});
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
