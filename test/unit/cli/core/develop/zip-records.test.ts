// dev's spliced package: records of the unchanged entries made once, spliced with the new bundle's, must be the very
// bytes zipDeterministic makes of all the entries (so dev and setup deploy the same CodeSha256).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { zipDeterministic, type ZipEntry } from '../../../../../cli/core/provision/package.js';
import { spliceZip, ZipRecordCache, zipRecords, zipRecordsOf } from '../../../../../cli/core/develop/zip-records.js';

const entry = (name: string, data: string | Buffer, mode = 0o644): ZipEntry => ({ name, data: Buffer.from(data), mode });

describe('spliceZip', () => {
  it('makes the same bytes as zipDeterministic of all the entries, in any split and any order of groups', async () => {
    // Prepare: names that interleave when sorted, an executable, an empty file and one that does not compress.
    const dependencies = [
      entry('node_modules/sharp/lib/index.js', 'module.exports = 1;\n'.repeat(500)),
      entry('node_modules/@img/vips/lib/libvips.so', randomBytes(200_000), 0o755),
      entry('node_modules/sharp/package.json', '{}'),
      entry('lib/empty.txt', ''),
    ];
    const bundle = [entry('index.mjs', 'export const handler = async () => 1;\n'.repeat(300)), entry('chunks/chunk-A.mjs', 'export {};'), entry('zz-last.txt', 'z')];
    // Act
    const dependencyRecords = await zipRecordsOf(dependencies);
    const spliced = spliceZip([await zipRecordsOf(bundle), dependencyRecords]);
    const reversed = spliceZip([dependencyRecords, await zipRecordsOf(bundle)]);
    // Assess
    const whole = await zipDeterministic([...bundle, ...dependencies]);
    assert.ok(spliced.equals(whole), 'byte for byte what setup would zip');
    assert.ok(reversed.equals(whole));
    assert.deepEqual(zipRecords(spliced).map((record) => record.name), [...bundle, ...dependencies].map((e) => e.name).sort());
  });

  it('refuses two entries of the same name, as zipDeterministic does', async () => {
    const records = await zipRecordsOf([entry('index.mjs', 'a')]);
    assert.throws(() => spliceZip([records, records]), /duplicate zip entry index.mjs/);
  });

  it('refuses to cut a zip it did not make', () => {
    assert.throws(() => zipRecords(Buffer.from('not a zip at all, nowhere near twenty-two bytes of end record')), /not a zip made by zipDeterministic/);
  });
});

describe('ZipRecordCache', () => {
  it('deflates only new or changed entries, and the zip stays what zipDeterministic makes of the whole build', async () => {
    // Prepare: a build of three files, then one where the entry file changed, a chunk went and one came
    const cache = new ZipRecordCache();
    const dependencies = await zipRecordsOf([entry('node_modules/sharp/lib/index.js', 'module.exports = 1;\n'.repeat(200))]);
    const first = [entry('index.mjs', 'export const a = 1;\n'.repeat(100)), entry('chunks/chunk-A.mjs', 'export const shared = 1;\n'.repeat(50)), entry('chunks/chunk-B.mjs', 'b')];
    const second = [entry('index.mjs', 'export const a = 2;\n'.repeat(100)), entry('chunks/chunk-A.mjs', 'export const shared = 1;\n'.repeat(50)), entry('chunks/chunk-C.mjs', 'c')];
    const third = [entry('index.mjs', 'export const a = 2;\n'.repeat(100)), entry('chunks/chunk-A.mjs', 'export const shared = 1;\n'.repeat(50), 0o755), entry('chunks/chunk-C.mjs', 'c')];

    // Act
    const built = [];
    for (const build of [first, second, third]) {
      const { records, deflated } = await cache.recordsOf(build);
      built.push({ zip: spliceZip([records, dependencies]), deflated });
    }

    // Assess
    assert.deepEqual(built.map((build) => build.deflated), [3, 2, 1], 'all, then index.mjs and chunk-C, then the chunk whose mode changed');
    for (const [index, build] of [first, second, third].entries()) {
      const whole = await zipDeterministic([...build, entry('node_modules/sharp/lib/index.js', 'module.exports = 1;\n'.repeat(200))]);
      assert.ok(built[index]!.zip.equals(whole), `build ${index + 1} is byte for byte what setup would zip`);
    }
  });
});
