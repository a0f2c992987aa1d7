// Emptying a bucket before deleting it: every version and delete marker (paged), then whatever a plain
// listing still shows; nothing loops on objects that will not go away. Against a fake S3 client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteObjectsCommand, ListObjectVersionsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { emptyBucket, teardownTargets } from '../../../../../cli/core/provision/teardown.js';
import { resolveSettings, withBucketDefaults } from '../../../../../cli/core/settings.js';

interface Version {
  Key: string;
  VersionId: string;
  marker?: boolean;
}

/** A versioned bucket: ListObjectVersions pages of `pageSize`, DeleteObjects removes exact versions. */
function fakeVersionedS3(versions: Version[], pageSize: number, options: { versionsNotImplemented?: boolean; stuck?: boolean } = {}) {
  const deleted: { Key: string; VersionId?: string }[] = [];
  let store = [...versions];
  const client = {
    async send(command: unknown) {
      if (command instanceof ListObjectVersionsCommand) {
        if (options.versionsNotImplemented) throw Object.assign(new Error('not here'), { name: 'NotImplemented' });
        const input = command.input;
        const sorted = [...store].sort((a, b) => (a.Key + a.VersionId < b.Key + b.VersionId ? -1 : 1));
        const start = input.KeyMarker ? sorted.findIndex((entry) => entry.Key + entry.VersionId > input.KeyMarker! + input.VersionIdMarker!) : 0;
        const page = start < 0 ? [] : sorted.slice(start, start + pageSize);
        const last = page[page.length - 1];
        const truncated = start >= 0 && start + pageSize < sorted.length;
        return {
          Versions: page.filter((entry) => !entry.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
          DeleteMarkers: page.filter((entry) => entry.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
          IsTruncated: truncated,
          NextKeyMarker: truncated ? last?.Key : undefined,
          NextVersionIdMarker: truncated ? last?.VersionId : undefined,
        };
      }
      if (command instanceof DeleteObjectsCommand) {
        const objects = command.input.Delete?.Objects ?? [];
        deleted.push(...objects.map((object) => ({ Key: object.Key!, ...(object.VersionId ? { VersionId: object.VersionId } : {}) })));
        if (!options.stuck) store = store.filter((entry) => !objects.some((object) => object.Key === entry.Key && (!object.VersionId || object.VersionId === entry.VersionId)));
        return { Errors: [] };
      }
      if (command instanceof ListObjectsV2Command) {
        const current = [...new Set(store.filter((entry) => !entry.marker).map((entry) => entry.Key))];
        return { Contents: current.map((Key) => ({ Key })) };
      }
      throw new Error(`unexpected ${(command as object).constructor.name}`);
    },
  };
  return { clients: { s3: client as unknown as S3Client }, deleted, left: () => store };
}

describe('emptyBucket', () => {
  it('deletes every version and delete marker, across pages', async () => {
    const versions: Version[] = [];
    for (let index = 0; index < 7; index++) versions.push({ Key: `photo-${index}.jpg`, VersionId: `v${index}a` }, { Key: `photo-${index}.jpg`, VersionId: `v${index}b`, marker: index % 2 === 0 });
    const fake = fakeVersionedS3(versions, 3);
    const count = await emptyBucket(fake.clients, 'bucket');
    assert.equal(count, 14);
    assert.deepEqual(fake.left(), []);
    assert.ok(fake.deleted.every((entry) => entry.VersionId), 'each deletion names its version');
  });

  it('falls back to a plain listing where versions are not implemented', async () => {
    const fake = fakeVersionedS3([{ Key: 'a.jpg', VersionId: 'null' }, { Key: 'b.jpg', VersionId: 'null' }], 1000, { versionsNotImplemented: true });
    assert.equal(await emptyBucket(fake.clients, 'bucket'), 2);
    assert.deepEqual(fake.left(), []);
  });

  it('stops with one clear error when objects do not go away', async () => {
    const fake = fakeVersionedS3([{ Key: 'sticky.jpg', VersionId: 'null' }], 1000, { versionsNotImplemented: true, stuck: true });
    await assert.rejects(emptyBucket(fake.clients, 'bucket'), /sticky\.jpg is still listed/);
  });
});

describe('teardownTargets', () => {
  it('lists the safe order: trigger, permission, function, log group, policies, role, buckets', () => {
    const settings = withBucketDefaults(resolveSettings({}, {}), '1', 'us-east-1');
    assert.deepEqual(
      teardownTargets(settings).map((target) => target.type),
      ['trigger', 'permission', 'function', 'log-group', 'policy', 'policy', 'policy', 'role', 'bucket', 'bucket'],
    );
  });
});
