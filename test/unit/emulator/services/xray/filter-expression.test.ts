import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceSummary } from '@aws-sdk/client-xray';
import { compileFilterExpression, FilterExpressionError } from '../../../../../emulator/services/xray/filter-expression.js';

const summary: TraceSummary = {
  Id: '1-00000000-000000000000000000000000',
  Duration: 1.5,
  ResponseTime: 0.75,
  HasFault: true,
  HasError: false,
  HasThrottle: false,
  IsPartial: false,
  Http: { HttpURL: 'https://example.com/photos/cat.jpg', HttpStatus: 500, HttpMethod: 'PUT' },
  Annotations: {
    source_key: [{ AnnotationValue: { StringValue: 'uploads/cat.jpg' } }],
    width: [{ AnnotationValue: { NumberValue: 200 } }],
    cold_start: [{ AnnotationValue: { BooleanValue: true } }],
  },
  Users: [{ UserName: 'alice' }],
  ServiceIds: [
    { Name: 'thumbnailer', Names: ['thumbnailer'], Type: 'AWS::Lambda::Function' },
    { Name: 'S3', Names: ['S3'], Type: 'AWS::S3::Bucket' },
  ],
};

const cases: [string, boolean][] = [
  ['', true],
  ['service("thumbnailer")', true],
  ['service("other")', false],
  ['service()', true],
  ['id(name: "S3", type: "AWS::S3::Bucket")', true],
  ['id(name: "S3", type: "AWS::Lambda")', false],
  ['annotation.source_key = "uploads/cat.jpg"', true],
  ['annotation.source_key = "uploads/dog.jpg"', false],
  ['annotation.source_key != "uploads/dog.jpg"', true],
  ['annotation.width > 100', true],
  ['annotation.width <= 100', false],
  ['annotation.cold_start = true', true],
  ['annotation.cold_start', true],
  ['annotation.missing', false],
  ['annotation.missing = "x"', false],
  ['http.url CONTAINS "cat"', true],
  ['http.url contains "dog"', false],
  ['http.url BEGINSWITH "https://"', true],
  ['http.url ENDSWITH ".png"', false],
  ['http.status = 500', true],
  ['http.status >= 400 AND http.method = "PUT"', true],
  ['fault', true],
  ['error', false],
  ['ok', false],
  ['fault = false', false],
  ['!error && fault', true],
  ['NOT fault', false],
  ['error OR throttle', false],
  ['error || (fault && service("S3"))', true],
  ['duration > 1 and responsetime < 1', true],
  ['user = "alice"', true],
  ['partial', false],
];

describe('compileFilterExpression', () => {
  for (const [expression, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${expression || '(empty)'}`, () => {
      assert.equal(compileFilterExpression(expression)(summary), expected);
    });
  }

  for (const expression of ['service(', 'annotation.', 'edge("a", "b")', 'rootcause.fault.service { name = "x" }', 'duration >', '"unterminated', 'http.url ~ "x"']) {
    it(`rejects ${expression}`, () => {
      assert.throws(() => compileFilterExpression(expression), FilterExpressionError);
    });
  }
});
