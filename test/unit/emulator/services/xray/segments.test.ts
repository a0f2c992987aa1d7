import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assembleTrace, parseSegmentDocument, traceIdEpochSeconds, type SegmentRecord } from '../../../../../emulator/services/xray/segments.js';
import { START, TRACE_ID } from './lambda-trace.js';

const base = { name: 'fn', id: '0000000000000001', trace_id: TRACE_ID, start_time: START, end_time: START + 1 };

function record(document: Record<string, unknown>): SegmentRecord {
  const parsed = parseSegmentDocument(JSON.stringify(document));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.record;
}

describe('parseSegmentDocument', () => {
  it('reads the indexed fields and keeps the text verbatim', () => {
    const text = JSON.stringify({ ...base, origin: 'AWS::Lambda', fault: true, custom: { x: 1 } });

    const parsed = parseSegmentDocument(text);

    assert.ok(parsed.ok);
    assert.equal(parsed.record.kind, 'segment');
    assert.equal(parsed.record.origin, 'AWS::Lambda');
    assert.equal(parsed.record.fault, true);
    assert.equal(parsed.record.document, text);
  });

  for (const [label, document, code] of [
    ['not JSON', '{nope', 'InvalidJson'],
    ['an array', '[]', 'InvalidJson'],
    ['no id', JSON.stringify({ ...base, id: undefined }), 'MissingId'],
    ['a short id', JSON.stringify({ ...base, id: 'abc' }), 'InvalidId'],
    ['no name', JSON.stringify({ ...base, name: undefined }), 'InvalidName'],
    ['a bad trace id', JSON.stringify({ ...base, trace_id: '1-xyz' }), 'InvalidTraceId'],
    ['no start_time', JSON.stringify({ ...base, start_time: 'soon' }), 'InvalidStartTime'],
    ['neither end_time nor in_progress', JSON.stringify({ ...base, end_time: undefined }), 'MissingEndTime'],
    ['a loose subsegment without parent', JSON.stringify({ ...base, type: 'subsegment' }), 'MissingParentId'],
  ] as const) {
    it(`rejects a document with ${label}`, () => {
      const parsed = parseSegmentDocument(document);

      assert.equal(parsed.ok, false);
      assert.equal(!parsed.ok && parsed.errorCode, code);
    });
  }

  it('accepts an in-progress segment without end_time', () => {
    const parsed = parseSegmentDocument(JSON.stringify({ ...base, end_time: undefined, in_progress: true }));

    assert.ok(parsed.ok);
    assert.equal(parsed.record.inProgress, true);
  });
});

describe('traceIdEpochSeconds', () => {
  it('reads the time encoded in a trace id', () => {
    assert.equal(traceIdEpochSeconds(TRACE_ID), START);
    assert.equal(traceIdEpochSeconds('nope'), undefined);
  });
});

describe('assembleTrace', () => {
  it('nests loose subsegments under their parent, even a loose parent', () => {
    const segment = record(base);
    const child = record({ ...base, id: '0000000000000002', type: 'subsegment', parent_id: '0000000000000001', name: 'Invocation' });
    const grandchild = record({ ...base, id: '0000000000000003', type: 'subsegment', parent_id: '0000000000000002', name: 'S3', start_time: START + 0.5 });

    const trace = assembleTrace(TRACE_ID, [grandchild, child, segment]);

    assert.equal(trace.segments.length, 1);
    const [top] = trace.segments;
    assert.equal(top!.document.subsegments?.[0]?.name, 'Invocation');
    assert.equal(top!.document.subsegments?.[0]?.subsegments?.[0]?.name, 'S3');
    assert.deepEqual(JSON.parse(top!.text), top!.document);
    assert.equal(trace.partial, false);
  });

  it('replaces an in-progress nested copy with the finished loose subsegment', () => {
    const segment = record({ ...base, subsegments: [{ id: '0000000000000002', name: 'work', start_time: START, in_progress: true }] });
    const finished = record({ ...base, id: '0000000000000002', type: 'subsegment', parent_id: '0000000000000001', name: 'work', end_time: START + 0.5 });

    const trace = assembleTrace(TRACE_ID, [segment, finished]);

    assert.deepEqual(
      trace.segments[0]!.document.subsegments?.map((s) => s.end_time),
      [START + 0.5],
    );
  });

  it('returns untouched segments with their original text', () => {
    const text = `{ "name": "fn", "id": "0000000000000001", "trace_id": "${TRACE_ID}", "start_time": ${START}, "end_time": ${START + 1} }`;
    const parsed = parseSegmentDocument(text);
    assert.ok(parsed.ok);

    const trace = assembleTrace(TRACE_ID, [parsed.record]);

    assert.equal(trace.segments[0]!.text, text);
  });

  it('is partial when a loose subsegment has no parent yet', () => {
    const orphan = record({ ...base, id: '0000000000000002', type: 'subsegment', parent_id: '00000000000000ff' });

    const trace = assembleTrace(TRACE_ID, [record(base), orphan]);

    assert.equal(trace.partial, true);
    assert.equal(trace.segments.length, 1);
    assert.equal(trace.segments[0]!.document.subsegments, undefined);
  });
});
