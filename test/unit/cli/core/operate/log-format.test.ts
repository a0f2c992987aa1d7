import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { clockTime, formatLogEvent, formatLogTail, shortStreamId, toJsonLine } from '../../../../../cli/core/operate/log-format.js';

const ID = '0f6b3c52-7a1e-4d8e-9a55-2f0b7c9d1e23';
const STREAM = '2026/11/26/[$LATEST]4f1c9a0d2b3e4f5a6b7c8d9e0f1a2b3c';
const TIMESTAMP = Date.UTC(2026, 10, 26, 21, 52, 42, 123);
const event = (message: string) => ({ timestamp: TIMESTAMP, stream: STREAM, message, eventId: '1' });
const prefix = `${clockTime(TIMESTAMP)} 4f1c9a0 `;

describe('shortStreamId', () => {
  it('keeps the first 7 characters of a Lambda stream’s id', () => {
    assert.equal(shortStreamId(STREAM), '4f1c9a0');
  });

  it('falls back to the last path segment of other streams', () => {
    assert.equal(shortStreamId('my/stream-name'), 'stream-');
    assert.equal(shortStreamId('abc'), 'abc');
  });
});

describe('clockTime', () => {
  it('is HH:MM:SS.mmm', () => {
    assert.match(clockTime(TIMESTAMP), /^\d\d:\d\d:\d\d\.123$/);
  });
});

describe('formatLogEvent', () => {
  it('prints a plain line after time and stream', () => {
    assert.equal(formatLogEvent(event(`START RequestId: ${ID} Version: $LATEST\n`)), `${prefix}START RequestId: ${ID} Version: $LATEST`);
  });

  it('pretty-prints a JSON line: level and message first, the other fields indented below', () => {
    const text = formatLogEvent(event(JSON.stringify({ level: 'INFO', message: 'thumbnail created', timestamp: 'x', service: 'thumbnailer', key: 'a-1x1.jpg', width: 1 })));
    const pad = ' '.repeat(prefix.length + 2);
    assert.equal(text, [`${prefix}INFO  thumbnail created`, `${pad}{`, `${pad}  "key": "a-1x1.jpg",`, `${pad}  "width": 1`, `${pad}}`].join('\n'));
  });

  it('marks errors and timeouts with !! and REPORT lines with --, followed by a blank line, without colour', () => {
    assert.match(formatLogEvent(event(JSON.stringify({ level: 'ERROR', message: 'thumbnail rejected: a-1x1.jpg' }))), /^\S+ 4f1c9a0 !! ERROR thumbnail rejected/);
    assert.match(formatLogEvent(event(`2026-11-26T21:52:42.123Z ${ID} Task timed out after 10.00 seconds`)), /!! Task timed out after 10\.00 seconds$/);
    const report = formatLogEvent(event(`REPORT RequestId: ${ID}\tDuration: 1.00 ms`));
    assert.match(report, /-- REPORT RequestId/);
    assert.ok(report.endsWith('\n'), 'a blank line follows a REPORT');
  });

  it('colours instead of marking when given a paint function', () => {
    const paint = (code: string, text: string) => `<${code}>${text}</>`;
    const text = formatLogEvent(event(JSON.stringify({ level: 'ERROR', message: 'boom' })), paint);
    assert.equal(text, `<2>${prefix}</><31>ERROR boom</>`);
  });

  it('indents the further lines of a multi-line message under its first', () => {
    const text = formatLogEvent(event('2026-11-26T22:14:33.720Z\tundefined\tWARN\tfirst line\nsecond line'));
    assert.equal(text, `${prefix} ! WARN  first line\n${' '.repeat(prefix.length + 3)}second line`);
  });

  it('shows a runtime error as one line and its stack below', () => {
    const text = formatLogEvent(event(`2026-11-26T21:52:42.123Z\t${ID}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"nope","stack":["TypeError: nope","    at a (b.js:1:1)"]}`));
    assert.match(text, /!! ERROR TypeError: nope\n\s+at a \(b\.js:1:1\)$/);
  });
});

describe('formatLogTail', () => {
  it('lays out each line without time or stream, blank lines dropped', () => {
    const tail = `START RequestId: ${ID} Version: $LATEST\n{"level":"WARN","message":"careful"}\n\nEND RequestId: ${ID}\nREPORT RequestId: ${ID}\tDuration: 2.00 ms\n`;
    assert.deepEqual(formatLogTail(tail).split('\n'), [`START RequestId: ${ID} Version: $LATEST`, ' ! WARN  careful', `END RequestId: ${ID}`, `-- REPORT RequestId: ${ID}\tDuration: 2.00 ms`]);
  });

  it('does not mark INIT_START like a REPORT', () => {
    assert.equal(formatLogTail('INIT_START Runtime Version: nodejs:22.v1'), 'INIT_START Runtime Version: nodejs:22.v1');
  });
});

describe('toJsonLine', () => {
  it('gives timestamp, ISO time, stream, message (without its newline) and eventId', () => {
    assert.deepEqual(toJsonLine({ ...event('hi\n'), eventId: '42' }), { timestamp: TIMESTAMP, time: '2026-11-26T21:52:42.123Z', stream: STREAM, message: 'hi', eventId: '42' });
  });
});
