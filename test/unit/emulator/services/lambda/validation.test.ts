// Parameter rules with AWS's codes and messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsError } from '../../../../../emulator/core/errors.js';
import { decodeClientContext, parseFunctionIdentifier, validateFunctionSettings } from '../../../../../emulator/services/lambda/validation.js';

function rejected(run: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof AwsError);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('validateFunctionSettings', () => {
  it('answers an out-of-range MemorySize as AWS does', () => {
    rejected(
      () => validateFunctionSettings({ MemorySize: 64 }),
      'ValidationException',
      "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    );
    rejected(() => validateFunctionSettings({ MemorySize: 10241 }), 'ValidationException', /less than or equal to 10240/);
  });

  it('lists every constraint failure at once', () => {
    rejected(() => validateFunctionSettings({ MemorySize: 64, Timeout: 0 }), 'ValidationException', /^2 validation errors detected: .*memorySize.*; .*timeout/);
  });

  it('checks timeout, handler, role and runtime', () => {
    rejected(() => validateFunctionSettings({ Timeout: 901 }), 'ValidationException', /at 'timeout'.*less than or equal to 900/);
    rejected(() => validateFunctionSettings({ Handler: 'index handler' }), 'ValidationException', /at 'handler'/);
    rejected(() => validateFunctionSettings({ Role: 'my-role' }), 'ValidationException', /at 'role'/);
    // AWS answers an unknown runtime with InvalidParameterValueException, the value unquoted (recorded answer).
    rejected(() => validateFunctionSettings({ Runtime: 'nodejs99.x' }), 'InvalidParameterValueException', /^Value nodejs99\.x at 'runtime'.*enum value set/);
    rejected(() => validateFunctionSettings({ Runtime: 'nodejs12.x' }), 'InvalidParameterValueException', /nodejs12.x is no longer supported.*use a supported runtime/);
  });

  it('accepts what AWS accepts, including runtimes that do not run locally', () => {
    validateFunctionSettings({ Runtime: 'nodejs22.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/thumb', MemorySize: 512, Timeout: 10 });
    validateFunctionSettings({ Runtime: 'python3.12' });
    validateFunctionSettings({ Runtime: 'provided.al2023' });
  });

  it('refuses reserved environment variables', () => {
    rejected(() => validateFunctionSettings({ Environment: { Variables: { AWS_REGION: 'x' } } }), 'InvalidParameterValueException', /Reserved keys used in this request: AWS_REGION/);
  });
});

describe('parseFunctionIdentifier', () => {
  it('reads names, ARNs and partial ARNs, with qualifiers', () => {
    assert.deepEqual(parseFunctionIdentifier('thumb'), { name: 'thumb', qualifier: undefined });
    assert.deepEqual(parseFunctionIdentifier('arn:aws:lambda:us-east-1:000000000000:function:thumb'), { name: 'thumb', qualifier: undefined });
    assert.deepEqual(parseFunctionIdentifier('000000000000:function:thumb:$LATEST'), { name: 'thumb', qualifier: '$LATEST' });
  });

  it('refuses bad names', () => {
    rejected(() => parseFunctionIdentifier('has space'), 'ValidationException', /at 'functionName'/);
    // AWS answers a name over 64 characters with InvalidParameterValueException (recorded answer).
    rejected(() => parseFunctionIdentifier('x'.repeat(65)), 'InvalidParameterValueException', /length less than or equal to 64/);
  });
});

describe('decodeClientContext', () => {
  it('gives the JSON text a base64 ClientContext carries, nothing when none was sent', () => {
    const document = { client: { installation_id: 'i-1' }, custom: { note: 'café €' } };
    assert.equal(decodeClientContext(Buffer.from(JSON.stringify(document)).toString('base64')), JSON.stringify(document));
    assert.equal(decodeClientContext('e30'), '{}', 'padding may be left off');
    assert.equal(decodeClientContext(undefined), undefined);
    assert.equal(decodeClientContext(''), undefined);
  });

  it('refuses what is not base64 of JSON with AWS\'s 400 InvalidRequestContentException', () => {
    for (const bad of ['not base64!', 'e30=x', Buffer.from('plain text').toString('base64'), Buffer.from('{"cut":').toString('base64')]) {
      rejected(() => decodeClientContext(bad), 'InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
    }
  });
});
