import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { CloudContext } from '../../../../../emulator/core/context.js';
import { FaultInjector } from '../../../../../emulator/core/faults.js';
import { BlobStore } from '../../../../../emulator/state/blobs.js';
import { openDatabase } from '../../../../../emulator/state/database.js';
import { compareUtf8, successor } from '../../../../../emulator/services/s3/objects.js';
import { S3Store, type ListPosition } from '../../../../../emulator/services/s3/store.js';

const REQUEST = { requestId: 'req', hostId: 'host', principalId: 'AWS:test', sourceIp: '127.0.0.1' };
const BODY = Buffer.from('same body for every key, so the blob is written once');

let stateDir: string;
let context: CloudContext;
let store: S3Store;
let bucketCounter = 0;

before(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-s3-store-'));
  context = {
    db: openDatabase(stateDir),
    blobs: new BlobStore(stateDir),
    settings: { accountId: '000000000000', region: 'us-east-1', stateDir, endpoint: '', stateDelayMs: 0 },
    faults: new FaultInjector(undefined),
    stores: {},
    log: () => undefined,
  };
  store = new S3Store(context);
});

after(() => {
  context.db.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** What S3 would list: keys under the prefix in UTF-8 order, rolled up at the first delimiter after it. */
function referenceListing(keys: string[], prefix: string, delimiter: string | undefined): string[] {
  const entries: string[] = [];
  for (const key of [...new Set(keys)].sort(compareUtf8)) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = at >= 0 ? `CP:${key.slice(0, at + delimiter!.length)}` : key;
    if (entries[entries.length - 1] !== entry) entries.push(entry);
  }
  return entries;
}

describe('successor', () => {
  it('is the least string above everything with the prefix', () => {
    assert.equal(successor('a/'), 'a0');
    assert.equal(successor('é'), 'ê');
    assert.equal(successor('\uD7FF'), '\uE000');
    assert.equal(successor('a\u{10FFFF}'), 'b');
    assert.equal(successor('\u{10FFFF}'), undefined);
  });
});

describe('listObjects', () => {
  it('pages through any keys exactly as S3 would list them (property)', async () => {
    const keyArbitrary = fc.array(fc.constantFrom('a', 'b', '/', 'é', '😀', '-', 'Z'), { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyArbitrary, { minLength: 0, maxLength: 25 }),
        fc.constantFrom('', 'a', 'a/', 'é', '😀'),
        fc.constantFrom(undefined, '/', '-', 'é', 'a/'),
        fc.integer({ min: 1, max: 5 }),
        async (keys, prefix, delimiter, maxKeys) => {
          const bucket = `listing-${++bucketCounter}`;
          store.createBucket(bucket, 'us-east-1');
          for (const key of keys) await store.putObject(bucket, key, BODY, { systemMetadata: {}, userMetadata: {} }, REQUEST);

          const listed: string[] = [];
          let start: ListPosition | undefined;
          for (let page = 0; page < 100; page++) {
            const result = store.listObjects(bucket, { prefix, ...(delimiter ? { delimiter } : {}), maxKeys, ...(start ? { start } : {}) });
            assert.ok(result.objects.length + result.commonPrefixes.length <= maxKeys);
            // Within a page, keys and prefixes interleave in order; merge them back by UTF-8 order.
            const pageEntries = [...result.objects.map((object) => object.key), ...result.commonPrefixes.map((value) => `CP:${value}`)];
            pageEntries.sort((x, y) => compareUtf8(x.replace(/^CP:/, ''), y.replace(/^CP:/, '')));
            listed.push(...pageEntries);
            if (!result.isTruncated) break;
            start = result.next;
          }

          assert.deepEqual(listed, referenceListing(keys, prefix, delimiter));
        },
      ),
      { numRuns: 60 },
    );
  });
});
