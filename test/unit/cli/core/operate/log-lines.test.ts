import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseLogLine } from '../../../../../cli/core/operate/log-lines.js';

const ID = '0f6b3c52-7a1e-4d8e-9a55-2f0b7c9d1e23';

describe('parseLogLine', () => {
  it('reads the platform lines and their request id', () => {
    assert.deepEqual(parseLogLine(`START RequestId: ${ID} Version: $LATEST\n`), { kind: 'start', requestId: ID, text: `START RequestId: ${ID} Version: $LATEST` });
    assert.equal(parseLogLine(`END RequestId: ${ID}\n`).kind, 'end');
    const report = parseLogLine(`REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB\n`);
    assert.equal(report.kind, 'report');
    assert.equal(report.requestId, ID);
  });

  it('treats a REPORT with Status: timeout or error as a failure', () => {
    assert.equal(parseLogLine(`REPORT RequestId: ${ID}\tDuration: 10000.00 ms\tStatus: timeout`).kind, 'timeout');
    assert.equal(parseLogLine(`REPORT RequestId: ${ID}\tDuration: 3.00 ms\tStatus: error\tError Type: Runtime.ExitError`).kind, 'error');
  });

  it('reads `Task timed out` with its request id', () => {
    const line = parseLogLine(`2026-11-26T21:52:42.123Z ${ID} Task timed out after 10.00 seconds\n`);
    assert.equal(line.kind, 'timeout');
    assert.equal(line.requestId, ID);
    assert.equal(line.text, 'Task timed out after 10.00 seconds');
  });

  it('reads a Powertools JSON line: level, message, fields', () => {
    const line = parseLogLine(
      `${JSON.stringify({ level: 'ERROR', message: 'thumbnail rejected: x-1x1.jpg', timestamp: '2026-11-26T21:52:42.123Z', service: 'thumbnailer', key: 'x-1x1.jpg', reason: 'not an image', requestId: ID })}\n`,
    );
    assert.equal(line.kind, 'error');
    assert.equal(line.level, 'ERROR');
    assert.equal(line.text, 'thumbnail rejected: x-1x1.jpg');
    assert.equal(line.requestId, ID);
    assert.equal(line.fields?.reason, 'not an image');
  });

  it('reads the Node.js runtime console format, with a JSON message', () => {
    const line = parseLogLine(`2026-11-26T21:52:42.123Z\t${ID}\tINFO\t{"hello":"world"}\n`);
    assert.equal(line.kind, 'info');
    assert.equal(line.level, 'INFO');
    assert.equal(line.requestId, ID);
    assert.deepEqual(line.fields, { hello: 'world' });
  });

  it('reads an Invoke Error (tab- or space-separated, as Lambda and the local cloud write it)', () => {
    for (const separator of [' \t', ' ']) {
      const line = parseLogLine(`2026-11-26T21:52:42.123Z\t${ID}\tERROR\tInvoke Error${separator}{"errorType":"TypeError","errorMessage":"x is not iterable","stack":["TypeError: x is not iterable","    at handler (index.js:1:1)"]}`);
      assert.equal(line.kind, 'error');
      assert.equal(line.text, 'TypeError: x is not iterable');
      assert.equal(line.requestId, ID);
    }
  });

  it('takes `undefined` as no request id (init-phase errors)', () => {
    const line = parseLogLine('2026-11-26T21:52:42.123Z\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module"}');
    assert.equal(line.kind, 'error');
    assert.equal(line.requestId, undefined);
    assert.equal(line.text, 'Runtime.ImportModuleError: Cannot find module');
  });

  it('reads the runtime JSON log format, whose error message is an object', () => {
    const line = parseLogLine(JSON.stringify({ timestamp: 't', level: 'ERROR', requestId: ID, message: { errorType: 'Error', errorMessage: 'boom' } }));
    assert.equal(line.kind, 'error');
    assert.equal(line.text, 'Error: boom');
  });

  it('leaves plain text alone', () => {
    assert.deepEqual(parseLogLine('hello there\n'), { kind: 'info', requestId: undefined, text: 'hello there' });
  });
});
