// Durability under kill -9: a local cloud in its own process takes a burst of concurrent PutObjects and
// is killed mid-burst. Restarted on the same state directory, every upload that was acknowledged must
// be there with its exact bytes, anything else listed must be whole, and the database must be intact.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfigFor, startTestCloud } from '../../helpers/local-cloud.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./crash-server.ts', import.meta.url));
const UPLOADS = 200;
const CONCURRENCY = 16;
/** Kill after this many acknowledgements, so the kill lands mid-burst. */
const KILL_AFTER = 60;

const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-s3-crash-'));
let child: ChildProcess | undefined;

after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

function startServerProcess(): Promise<{ process: ChildProcess; endpoint: string }> {
  return new Promise((resolve, reject) => {
    const spawned = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    spawned.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) resolve({ process: spawned, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint });
    });
    spawned.stderr!.on('data', (data: Buffer) => (errors += data.toString()));
    spawned.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${errors}`)));
  });
}

function client(endpoint: string): S3Client {
  // One attempt only: an acknowledgement must come from the process that stored the object.
  return new S3Client({ ...clientConfigFor(endpoint), maxAttempts: 1 });
}

describe('crash safety', () => {
  it('keeps every acknowledged upload, byte for byte, across kill -9', async () => {
    const server = await startServerProcess();
    child = server.process;
    const s3 = client(server.endpoint);
    const bucket = 'crash-burst';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const bodies = new Map(Array.from({ length: UPLOADS }, (_, index) => [`burst/${String(index).padStart(3, '0')}`, randomBytes(1024 + ((index * 7919) % (96 * 1024)))]));
    const acknowledged: string[] = [];
    const failed: string[] = [];
    const pending = [...bodies.keys()];
    let killed = false;

    const worker = async () => {
      for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
        try {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodies.get(key)! }));
          acknowledged.push(key);
          if (acknowledged.length === KILL_AFTER && !killed) {
            killed = true;
            child!.kill('SIGKILL');
          }
        } catch {
          failed.push(key);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    s3.destroy();
    await new Promise<void>((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve() : child!.once('exit', () => resolve())));

    assert.ok(killed, 'the server was killed mid-burst');
    assert.ok(acknowledged.length >= KILL_AFTER && acknowledged.length < UPLOADS, `acknowledged ${acknowledged.length}`);
    assert.ok(failed.length > 0, 'some uploads were cut off');

    // The database opens cleanly after the crash (this also replays its WAL).
    const db = new Database(join(stateDir, 'state.db'));
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }

    const restarted = await startTestCloud({ stateDir });
    const restartedS3 = new S3Client({ ...restarted.clientConfig });
    try {
      for (const key of acknowledged) {
        const response = await restartedS3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = Buffer.from(await response.Body!.transformToByteArray());
        assert.ok(bytes.equals(bodies.get(key)!), `${key} came back different`);
      }
      // Uploads cut off before their answer may or may not have landed, but whatever is listed is whole.
      const listed = await restartedS3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const listedKeys = (listed.Contents ?? []).map((object) => object.Key!);
      for (const key of acknowledged) assert.ok(listedKeys.includes(key), `${key} is listed`);
      for (const object of listed.Contents ?? []) assert.equal(object.Size, bodies.get(object.Key!)!.length, `${object.Key} is whole`);
      for (const key of listedKeys.filter((candidate) => !acknowledged.includes(candidate))) {
        const response = await restartedS3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.ok(Buffer.from(await response.Body!.transformToByteArray()).equals(bodies.get(key)!), `${key} (unacknowledged) is whole`);
      }
      const next = await restartedS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'after-restart', Body: 'still writable' }));
      assert.equal(next.$metadata.httpStatusCode, 200);
    } finally {
      restartedS3.destroy();
      await restarted.close();
    }
  });
});
