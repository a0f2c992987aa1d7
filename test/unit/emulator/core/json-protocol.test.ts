// The shared JSON-protocol helpers (emulator/core/json-protocol.ts); tested here with the first service using them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../../../../emulator/core/errors.js';
import {
  asAwsError,
  decodePageToken,
  defaultMalformedError,
  encodePageToken,
  jsonErrorResponse,
  JsonFields,
  jsonResponse,
  parseJsonBody,
  serializeJson,
  targetOperation,
} from '../../../../emulator/core/json-protocol.js';
import type { ServiceRequest } from '../../../../emulator/core/http.js';

const json11 = defaultMalformedError('json-1.1');
const restJson = defaultMalformedError('rest-json');

function request(headers: Record<string, string>): ServiceRequest {
  return { method: 'POST', rawPath: '/', path: '/', query: new URLSearchParams(), headers, body: Buffer.alloc(0), region: 'us-east-1', requestId: 'r', host: '' };
}

describe('parseJsonBody', () => {
  it('reads an object and treats an empty body as {}', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":1}'), json11), { a: 1 });
    assert.deepEqual(parseJsonBody(Buffer.from('  '), json11), {});
  });

  it('turns malformed JSON into SerializationException for JSON 1.1', () => {
    assert.throws(() => parseJsonBody(Buffer.from('{"a":'), json11), (error: unknown) => {
      assert.ok(error instanceof AwsError);
      assert.equal(error.code, 'SerializationException');
      assert.equal(error.status, 400);
      return true;
    });
  });

  it('turns malformed JSON into InvalidRequestException for REST-JSON', () => {
    assert.throws(() => parseJsonBody('[1,2]', restJson), { code: 'InvalidRequestException' });
  });

  it('uses a service-specific error when given one', () => {
    const lambdaStyle = (detail: string) => new AwsError('InvalidRequestContentException', detail, 400);

    assert.throws(() => parseJsonBody('nope', lambdaStyle), { code: 'InvalidRequestContentException' });
  });
});

describe('JsonFields', () => {
  it('reads typed members and treats null as absent', () => {
    const fields = new JsonFields({ s: 'x', n: 1.5, i: 3, b: false, l: ['a'], o: { k: 1 }, z: null }, json11);

    assert.equal(fields.string('s'), 'x');
    assert.equal(fields.number('n'), 1.5);
    assert.equal(fields.integer('i'), 3);
    assert.equal(fields.boolean('b'), false);
    assert.deepEqual(fields.stringList('l'), ['a']);
    assert.deepEqual(fields.object('o'), { k: 1 });
    assert.equal(fields.string('z'), undefined);
    assert.equal(fields.has('z'), false);
    assert.equal(fields.string('missing'), undefined);
  });

  it('answers a wrongly typed member like AWS deserialisers do', () => {
    const fields = new JsonFields({ limit: '5', names: ['a', 1] }, json11);

    assert.throws(() => fields.integer('limit'), { code: 'SerializationException', message: 'STRING_VALUE can not be converted to an Integer' });
    assert.throws(() => fields.stringList('names'), { message: 'NUMBER_VALUE can not be converted to a String' });
  });

  it('reads timestamps as epoch seconds from numbers or ISO strings', () => {
    const fields = new JsonFields({ a: 1700000000.5, b: '2023-11-14T22:13:20Z', c: 'later' }, restJson);

    assert.equal(fields.epochSeconds('a'), 1700000000.5);
    assert.equal(fields.epochSeconds('b'), 1700000000);
    assert.throws(() => fields.epochSeconds('c'), { code: 'InvalidRequestException' });
  });

  it('wraps lists of structures', () => {
    const fields = new JsonFields({ events: [{ timestamp: 1, message: 'm' }] }, json11);

    assert.equal(fields.objectList('events')?.[0]?.string('message'), 'm');
    assert.throws(() => new JsonFields({ events: [1] }, json11).objectList('events'), { code: 'SerializationException' });
  });
});

describe('responses', () => {
  it('writes Dates as epoch seconds and drops undefined members', () => {
    assert.equal(serializeJson({ at: new Date(1700000000123), gone: undefined, nested: [{ at: new Date(0) }] }), '{"at":1700000000.123,"nested":[{"at":0}]}');
  });

  it('writes JSON 1.1 errors with __type and x-amzn-ErrorType', () => {
    const response = jsonErrorResponse('json-1.1', new AwsError('ResourceNotFoundException', 'The specified log group does not exist.', 400));

    assert.equal(response.status, 400);
    assert.equal(response.headers?.['x-amzn-ErrorType'], 'ResourceNotFoundException');
    assert.equal(response.headers?.['content-type'], 'application/x-amz-json-1.1');
    assert.deepEqual(JSON.parse(String(response.body)), { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  });

  it('writes REST-JSON errors with the code in the header and message in the body', () => {
    const response = jsonErrorResponse('rest-json', new AwsError('InvalidRequestException', 'bad', 400));

    assert.equal(response.headers?.['x-amzn-ErrorType'], 'InvalidRequestException');
    assert.deepEqual(JSON.parse(String(response.body)), { message: 'bad', Message: 'bad', Type: 'User' });
  });

  it('answers results with the protocol content type', () => {
    assert.equal(jsonResponse('rest-json', { a: 1 }).headers?.['content-type'], 'application/json');
  });

  it('turns an unexpected exception into a logged InternalFailure', () => {
    const lines: string[] = [];

    const error = asAwsError(new TypeError('boom'), (line) => lines.push(line));

    assert.equal(error.code, 'InternalFailure');
    assert.equal(error.status, 500);
    assert.match(lines[0]!, /TypeError: boom/);
  });
});

describe('targetOperation', () => {
  it('reads the operation behind the expected prefix only', () => {
    assert.equal(targetOperation(request({ 'x-amz-target': 'Logs_20140328.CreateLogGroup' }), 'Logs_20140328'), 'CreateLogGroup');
    assert.equal(targetOperation(request({ 'x-amz-target': 'Other.CreateLogGroup' }), 'Logs_20140328'), undefined);
    assert.equal(targetOperation(request({}), 'Logs_20140328'), undefined);
  });
});

describe('page tokens', () => {
  it('round-trips a cursor and refuses foreign tokens', () => {
    assert.deepEqual(decodePageToken(encodePageToken({ name: '/a', n: 1 })), { name: '/a', n: 1 });
    assert.equal(decodePageToken('not-a-token'), undefined);
  });
});
