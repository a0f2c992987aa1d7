// The one naming rule of error classes: a class is named exactly as the AWS error code it answers with. Checked
// over every errors module of the services on the template (S3 keeps its `<Code>Error` names for now) and the core.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as constraints from '../../../../emulator/core/constraints.js';
import * as core from '../../../../emulator/core/errors.js';
import { AwsError, awsErrorCode, NotImplemented } from '../../../../emulator/core/errors.js';
import * as json from '../../../../emulator/core/json-protocol.js';
import * as query from '../../../../emulator/core/query-protocol.js';
import * as iam from '../../../../emulator/services/iam/errors.js';
import * as lambda from '../../../../emulator/services/lambda/errors.js';
import * as logs from '../../../../emulator/services/logs/errors.js';
import * as s3control from '../../../../emulator/services/s3control/errors.js';
import * as sts from '../../../../emulator/services/sts/errors.js';
import * as xray from '../../../../emulator/services/xray/errors.js';

const MODULES = { constraints, core, json, query, iam, lambda, logs, s3control, sts, xray };

describe('error classes', () => {
  it('are named as their AWS error code, in every module on the service template', () => {
    let checked = 0;
    for (const [module, exports] of Object.entries(MODULES)) {
      for (const [name, value] of Object.entries(exports)) {
        if (typeof value !== 'function' || !(value.prototype instanceof AwsError)) continue;
        const code = (value as unknown as { code?: string }).code;
        assert.equal(code, name, `${module}: class ${name} answers with code ${String(code)}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 25, `only ${checked} error classes found`);
  });

  it('carry their code, status, message, extra fields and headers', () => {
    class Teapot extends awsErrorCode('Teapot', 418) {}
    const error = new Teapot('short and stout', { Reason: 'Tea' }, { 'Retry-After': '1' });
    assert.deepEqual([error.name, error.code, error.status, error.message], ['Teapot', 'Teapot', 418, 'short and stout']);
    assert.deepEqual(error.extra, { Reason: 'Tea' });
    assert.deepEqual(error.headers, { 'Retry-After': '1' });
    assert.deepEqual([Teapot.code, Teapot.status], ['Teapot', 418]);
  });

  it('name the operation the local cloud does not implement', () => {
    const error = new NotImplemented('Lambda CreateAlias');
    assert.deepEqual([error.code, error.status, error.message], ['NotImplemented', 501, 'The local cloud does not implement Lambda CreateAlias']);
  });
});
