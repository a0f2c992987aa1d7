// The lines Lambda writes itself, to the character.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeExit,
  endLine,
  initReportLine,
  initStartLine,
  logTail,
  newLogStreamName,
  reportLine,
  startLine,
  timeoutLine,
} from '../../../../emulator/runtime/log-format.js';

describe('Lambda log lines', () => {
  it('INIT_START names the runtime version as AWS does, OS-only runtimes included', () => {
    assert.match(initStartLine('nodejs22.x', 'us-east-1'), /^INIT_START Runtime Version: nodejs:22\.v1\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/);
    assert.match(initStartLine('provided.al2023', 'eu-west-1'), /^INIT_START Runtime Version: provided:al2023\.v1\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:[0-9a-f]{64}$/);
    assert.match(initStartLine('provided.al2', 'us-east-1'), /^INIT_START Runtime Version: provided:al2\.v1\t/);
  });

  it('START and END', () => {
    assert.equal(startLine('abc'), 'START RequestId: abc Version: $LATEST');
    assert.equal(endLine('abc'), 'END RequestId: abc');
  });

  it('REPORT of a cold start', () => {
    assert.equal(
      reportLine({ requestId: 'abc', durationMs: 12.344, memorySizeMb: 512, maxMemoryUsedMb: 87, initDurationMs: 234.561 }),
      'REPORT RequestId: abc\tDuration: 12.34 ms\tBilled Duration: 247 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB\tInit Duration: 234.56 ms',
    );
  });

  it('REPORT of a warm invocation rounds billing up to the millisecond', () => {
    assert.equal(
      reportLine({ requestId: 'abc', durationMs: 1.01, memorySizeMb: 128, maxMemoryUsedMb: 40.4 }),
      'REPORT RequestId: abc\tDuration: 1.01 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB',
    );
  });

  it('REPORT with a status and the X-Ray line', () => {
    const line = reportLine({
      requestId: 'abc',
      durationMs: 1000,
      memorySizeMb: 128,
      maxMemoryUsedMb: 128,
      status: { kind: 'error', errorType: 'Runtime.OutOfMemory' },
      xray: { traceId: '1-6b08ada9-6db215254443bd293bdee6d7', segmentId: '301a5db1c861200a' },
    });
    assert.equal(
      line,
      'REPORT RequestId: abc\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB' +
        '\tStatus: error\tError Type: Runtime.OutOfMemory\nXRAY TraceId: 1-6b08ada9-6db215254443bd293bdee6d7\tSegmentId: 301a5db1c861200a\tSampled: true',
    );
    assert.match(reportLine({ requestId: 'a', durationMs: 1, memorySizeMb: 1, maxMemoryUsedMb: 1, status: { kind: 'timeout' } }), /\tStatus: timeout$/);
  });

  it('timeouts, init reports and exits', () => {
    assert.equal(timeoutLine(Date.UTC(2026, 10, 26, 21, 52, 42, 123), 'abc', 10), '2026-11-26T21:52:42.123Z abc Task timed out after 10.00 seconds');
    assert.equal(initReportLine(12.345, 'error', 'Runtime.ImportModuleError'), 'INIT_REPORT Init Duration: 12.35 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError');
    assert.equal(describeExit(1, null), 'exit status 1');
    assert.equal(describeExit(null, 'SIGKILL'), 'signal: killed');
  });

  it('names streams YYYY/MM/DD/[$LATEST]<32 hex> by UTC date', () => {
    assert.match(newLogStreamName(Date.UTC(2026, 0, 2, 23, 59)), /^2026\/01\/02\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('tails the last 4 KB, base64', () => {
    const text = `${'x'.repeat(5000)}END`;
    const tail = Buffer.from(logTail(text), 'base64').toString('utf8');
    assert.equal(tail.length, 4096);
    assert.ok(tail.endsWith('END'));
  });
});
