import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { KeyLogJudge, MAX_FILTER_PATTERN_LENGTH, watchFilterPattern } from '../../../../../cli/core/operate/log-watch.js';
import { compileFilterPattern } from '../../../../../emulator/services/logs/filter-pattern.js';

const KEY = 'canyon-400x400.jpg';
const OURS = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const SINCE = 1_000_000;
let nextId = 0;
const event = (message: string | object, timestamp = SINCE + 100) => ({
  timestamp,
  stream: '2026/11/26/[$LATEST]abc',
  message: typeof message === 'string' ? message : JSON.stringify(message),
  eventId: String(nextId++),
});
const line = (level: string, message: string, fields: object) => ({ level, message, service: 'thumbnailer', timestamp: 't', ...fields });

describe('KeyLogJudge', () => {
  it('records each variant the function logs as created under its thumbnailKey, and a variant’s rejection fails fast', () => {
    const judge = new KeyLogJudge('canyon.jpg', SINCE);
    judge.judge(event(line('INFO', 'thumbnail created', { key: 'canyon.jpg', variant: 'thumb', thumbnailKey: 'canyon-400x400.jpg', requestId: OURS })));
    judge.judge(event(line('INFO', 'thumbnail created', { key: 'canyon.jpg', variant: 'card', thumbnailKey: 'card/canyon-800x600.webp', requestId: OURS })));
    judge.judge(event(line('INFO', 'thumbnail created', { key: 'canyon-1x1.jpg', requestId: OTHER })));
    assert.deepEqual([...judge.createdKeys], ['canyon-400x400.jpg', 'card/canyon-800x600.webp']);
    const reason = 'variant "hero" (canyon-1600x900.avif): thumbnail key is 1030 bytes, above S3\'s limit of 1024';
    const verdict = judge.judge(event(line('ERROR', 'thumbnail rejected: canyon.jpg', { key: 'canyon.jpg', variant: 'hero', reason, requestId: OURS })));
    assert.deepEqual([verdict?.outcome, verdict?.reason], ['rejected', reason]);
  });

  it('fails fast on a rejection of our key, with the function’s reason', () => {
    // Prepare
    const judge = new KeyLogJudge(KEY, SINCE);

    // Act
    const verdict = judge.judge(event(line('ERROR', `thumbnail rejected: ${KEY}`, { key: KEY, reason: 'not an image: unsupported format', requestId: OURS })));

    // Assess
    assert.deepEqual(verdict, { outcome: 'rejected', reason: 'not an image: unsupported format', requestId: OURS, timestamp: SINCE + 100 });
  });

  it('ignores a rejection of another key, even one containing ours', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event(line('ERROR', 'thumbnail rejected: my-canyon-400x400.jpg', { key: `my-${KEY}`, reason: 'x', requestId: OTHER }))), undefined);
  });

  it('reports a skipped key', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event(line('INFO', 'thumbnail skipped', { key: KEY, reason: 'source object no longer exists' })))?.outcome, 'skipped');
  });

  it('remembers a created line at or after the upload start, and says nothing', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event(line('INFO', 'thumbnail created', { key: KEY }), SINCE - 500)), undefined);
    assert.equal(judge.createdAt, undefined, 'an earlier upload’s line does not count');
    assert.equal(judge.judge(event(line('INFO', 'thumbnail created', { key: KEY }), SINCE + 5)), undefined);
    assert.equal(judge.createdAt, SINCE + 5);
    assert.equal(judge.mentioned, true);
  });

  it('fails on a timeout that names no key', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    const verdict = judge.judge(event(`2026-11-26T21:52:42.123Z ${OURS} Task timed out after 10.00 seconds\n`));
    assert.equal(verdict?.outcome, 'failed');
    assert.equal(verdict?.reason, 'Task timed out after 10.00 seconds');
  });

  it('does not blame our upload for a crash of an invocation working on another key', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    judge.judge(event(line('WARN', 'thumbnail failed; throwing so Lambda retries', { key: 'other-1x1.jpg', requestId: OTHER, reason: 'x' })));
    assert.equal(judge.judge(event(`2026-11-26T21:52:42.123Z\t${OTHER}\tERROR\tInvoke Error {"errorType":"Error","errorMessage":"boom"}`)), undefined);
  });

  it('explains a crash of our invocation with the transient failure logged before it', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    judge.judge(event(line('WARN', 'thumbnail failed; throwing so Lambda retries', { key: KEY, requestId: OURS, reason: 'S3ServiceException: SlowDown' })));
    const verdict = judge.judge(event(`2026-11-26T21:52:42.123Z\t${OURS}\tERROR\tInvoke Error {"errorType":"S3ServiceException","errorMessage":"SlowDown"}`));
    assert.equal(verdict?.outcome, 'failed');
    assert.match(verdict?.reason ?? '', /S3ServiceException: SlowDown \(after: S3ServiceException: SlowDown\)/);
  });

  it('fails on a misconfigured function with the error it throws', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event(line('ERROR', 'thumbnailer misconfigured', { reason: 'THUMBNAIL_BUCKET is not set', requestId: OURS }))), undefined);
    const verdict = judge.judge(event(`2026-11-26T21:52:42.123Z\t${OURS}\tERROR\tInvoke Error \t{"errorType":"ConfigError","errorMessage":"invalid configuration: THUMBNAIL_BUCKET is not set"}`));
    assert.equal(verdict?.reason, 'ConfigError: invalid configuration: THUMBNAIL_BUCKET is not set');
  });

  it('fails on an init crash and on a REPORT with Status: error', () => {
    assert.equal(new KeyLogJudge(KEY, SINCE).judge(event('2026-11-26T21:52:42.123Z\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module"}'))?.outcome, 'failed');
    assert.equal(new KeyLogJudge(KEY, SINCE).judge(event('INIT_REPORT Init Duration: 12.34 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError'))?.outcome, 'failed');
    assert.equal(new KeyLogJudge(KEY, SINCE).judge(event(`REPORT RequestId: ${OURS}\tDuration: 3.00 ms\tStatus: error\tError Type: Runtime.ExitError`))?.outcome, 'failed');
  });

  it('does not fail on an ERROR-level line that is no crash (a warning printed at start-up)', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event('2026-11-26T22:14:33.720Z\tundefined\tERROR\t(node:506) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after')), undefined);
    assert.equal(judge.judge(event(`2026-11-26T22:14:33.720Z\t${OURS}\tERROR\tsomething worrying`)), undefined);
  });

  it('judges each event once', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    const rejected = event(line('ERROR', `thumbnail rejected: ${KEY}`, { key: KEY, reason: 'r' }));
    assert.ok(judge.judge(rejected));
    assert.equal(judge.judge(rejected), undefined);
  });

  it('ignores ordinary lines without a key', () => {
    const judge = new KeyLogJudge(KEY, SINCE);
    assert.equal(judge.judge(event(`START RequestId: ${OURS} Version: $LATEST`)), undefined);
    assert.equal(judge.judge(event(`REPORT RequestId: ${OURS}\tDuration: 1.00 ms`)), undefined);
  });
});

describe('watchFilterPattern', () => {
  it('ORs the quoted key with the failures that name no key', () => {
    assert.equal(watchFilterPattern(KEY), `?"${KEY}" ?"Task timed out" ?"ERROR" ?"Status: error" ?"errorType"`);
  });

  it('escapes quotes and backslashes in the key', () => {
    assert.ok(watchFilterPattern('a"b\\c-1x1.jpg').startsWith('?"a\\"b\\\\c-1x1.jpg"'));
  });

  it('fits a key of any length into CloudWatch Logs\' 1,024 characters, still matching the lines naming that key', () => {
    for (const key of ['k'.repeat(1024), `${'"\\'.repeat(400)}-1x1.jpg`, `${'😀'.repeat(600)}.png`]) {
      const pattern = watchFilterPattern(key);
      assert.ok(pattern.length <= MAX_FILTER_PATTERN_LENGTH, `${pattern.length} characters`);
      assert.ok(pattern.endsWith(' ?"Task timed out" ?"ERROR" ?"Status: error" ?"errorType"'));
      const matches = compileFilterPattern(pattern);
      assert.equal(matches(`INFO thumbnail written for ${key}`), true);
      assert.equal(matches('INFO thumbnail written for other.jpg'), false);
    }
  });
});
