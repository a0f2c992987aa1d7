// The Batch Operations manifest and report as text: CSV lines in (fields in the job's order, quoting, CRLF,
// URL-encoded keys), report lines out in AWS's layout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestError, readCsvManifest, reportBase, reportLine } from '../../../../../emulator/services/s3control/manifest.js';

describe('readCsvManifest', () => {
  it('reads bucket,key lines in the order the fields name, keeping keys URL-encoded', () => {
    const text = 'photos,a%20b.jpg\r\n\nphotos,"c,d.jpg"\n"ph""otos",e.jpg';
    assert.deepEqual([...readCsvManifest(text, ['Bucket', 'Key'])], [
      { bucket: 'photos', key: 'a%20b.jpg' },
      { bucket: 'photos', key: 'c,d.jpg' },
      { bucket: 'ph"otos', key: 'e.jpg' },
    ]);
    assert.deepEqual([...readCsvManifest('x.jpg,ignored,photos,v1\n', ['Key', 'Ignore', 'Bucket', 'VersionId'])], [{ bucket: 'photos', key: 'x.jpg', versionId: 'v1' }]);
  });

  it('refuses, naming the line, what a job cannot use', () => {
    const cases: [string, RegExp][] = [
      ['photos,a.jpg\nphotos\n', /^line 2: has 1 columns/],
      ['photos,\n', /^line 1: has no key/],
      [',a.jpg\n', /^line 1: has no bucket/],
      ['photos,%E0%A4%A\n', /^line 1: has a key that is not valid URL encoding/],
      ['photos,"a.jpg\n', /^line 1: has an unterminated quoted field/],
      ['photos,"a"b.jpg\n', /^line 1: has text after a quoted field/],
    ];
    for (const [text, message] of cases) assert.throws(() => [...readCsvManifest(text, ['Bucket', 'Key'])], (error: unknown) => error instanceof ManifestError && message.test(error.message), text);
  });
});

describe('report lines', () => {
  it('lay a task out as AWS’s example reports do, quoting what needs it', () => {
    assert.equal(reportLine({ bucket: 'b', key: 'k.jpg', taskStatus: 'succeeded', httpStatusCode: 200, errorCode: '', resultMessage: 'created k.jpg' }), 'b,k.jpg,,succeeded,200,,created k.jpg');
    assert.equal(
      reportLine({ bucket: 'b', key: 'k.jpg', versionId: 'v', taskStatus: 'failed', httpStatusCode: 200, errorCode: 'PermanentFailure', resultMessage: 'Lambda returned function error: {"a":"b, c"}' }),
      'b,k.jpg,v,failed,200,PermanentFailure,"Lambda returned function error: {""a"":""b, c""}"',
    );
  });

  it('go under <prefix>/job-<id>/', () => {
    assert.equal(reportBase('reports/', 'j1'), 'reports/job-j1');
    assert.equal(reportBase(undefined, 'j1'), 'job-j1');
  });
});
