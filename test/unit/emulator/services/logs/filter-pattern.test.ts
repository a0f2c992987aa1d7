import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileFilterPattern, FilterPatternError } from '../../../../../emulator/services/logs/filter-pattern.js';

const TIMEOUT = 'REPORT RequestId: 1 Task timed out after 3.00 seconds';
const ERROR_LINE = '2026-01-01T00:00:00Z ERROR resize failed for uploads/cat.jpg';
const WARN_LINE = 'WARN slow resize';
const JSON_ERROR = JSON.stringify({ level: 'ERROR', message: 'resize failed', durationMs: 250, key: 'uploads/cat.jpg', cold: true, ctx: { region: 'us-east-1' }, tags: ['a', 'b'], nothing: null });
const JSON_INFO = JSON.stringify({ level: 'INFO', message: 'done', durationMs: 40, key: 'thumbnails/cat.jpg', cold: false });

const cases: [pattern: string, message: string, expected: boolean][] = [
  ['', ERROR_LINE, true],
  ['   ', WARN_LINE, true],
  ['ERROR', ERROR_LINE, true],
  ['ERROR', WARN_LINE, false],
  ['error', ERROR_LINE, false], // case-sensitive, like AWS
  ['ERROR cat.jpg', ERROR_LINE, true],
  ['ERROR dog.jpg', ERROR_LINE, false],
  ['"Task timed out"', TIMEOUT, true],
  ['"Task timed out"', 'Task was timed out', false],
  ['"say \\"hi\\""', 'they say "hi" here', true],
  ['?ERROR ?WARN', ERROR_LINE, true],
  ['?ERROR ?WARN', WARN_LINE, true],
  ['?ERROR ?WARN', TIMEOUT, false],
  ['ERROR -cat.jpg', ERROR_LINE, false],
  ['resize -ERROR', WARN_LINE, true],
  ['-"timed out"', TIMEOUT, false],
  ['%ERR(OR)?%', ERROR_LINE, true],
  ['%^WARN%', ERROR_LINE, false],
  ['{ $.level = "ERROR" }', JSON_ERROR, true],
  ['{ $.level = "ERROR" }', JSON_INFO, false],
  ['{ $.level = "ERROR" }', ERROR_LINE, false], // plain text never matches a JSON pattern
  ['{$.level=ERROR}', JSON_ERROR, true],
  ['{ $.level != "ERROR" }', JSON_INFO, true],
  ['{ $.key = "uploads/*" }', JSON_ERROR, true],
  ['{ $.key = "uploads/*" }', JSON_INFO, false],
  ['{ $.key = "*cat*" }', JSON_INFO, true],
  ['{ $.durationMs > 100 }', JSON_ERROR, true],
  ['{ $.durationMs > 100 }', JSON_INFO, false],
  ['{ $.durationMs < 100 }', JSON_INFO, true],
  ['{ $.durationMs >= 250 }', JSON_ERROR, true],
  ['{ $.durationMs <= 39 }', JSON_INFO, false],
  ['{ $.durationMs = 250 }', JSON_ERROR, true],
  ['{ $.durationMs != 250 }', JSON_ERROR, false],
  ['{ $.ctx.region = "us-east-1" }', JSON_ERROR, true],
  ['{ $.tags[1] = "b" }', JSON_ERROR, true],
  ['{ $.missing = "x" }', JSON_ERROR, false],
  ['{ $.missing != "x" }', JSON_ERROR, false],
  ['{ $.cold IS TRUE }', JSON_ERROR, true],
  ['{ $.cold IS FALSE }', JSON_INFO, true],
  ['{ $.nothing IS NULL }', JSON_ERROR, true],
  ['{ $.missing NOT EXISTS }', JSON_ERROR, true],
  ['{ $.level = "ERROR" && $.durationMs > 100 }', JSON_ERROR, true],
  ['{ $.level = "ERROR" && $.durationMs > 1000 }', JSON_ERROR, false],
  ['{ $.level = "WARN" || ($.level = "ERROR" && $.cold IS TRUE) }', JSON_ERROR, true],
];

describe('compileFilterPattern', () => {
  for (const [pattern, message, expected] of cases) {
    it(`${expected ? 'matches' : 'rejects'} ${JSON.stringify(message.slice(0, 30))} with ${pattern || '(empty)'}`, () => {
      assert.equal(compileFilterPattern(pattern)(message), expected);
    });
  }

  for (const pattern of ['[ip, user]', '"unterminated', '{ $.level = "x"', '{ level = "x" }', '{ $.n > "x" }', '{ $.a = }', '%[%', '?', '{ $.a IS MAYBE }']) {
    it(`refuses ${pattern}`, () => {
      assert.throws(() => compileFilterPattern(pattern), FilterPatternError);
    });
  }

  const word = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);

  it('matches a bare term exactly when the message contains it', () => {
    fc.assert(
      fc.property(word, fc.string(), (term, message) => {
        assert.equal(compileFilterPattern(term)(message), message.includes(term));
      }),
    );
  });

  it('matches -term exactly when the message lacks it', () => {
    fc.assert(
      fc.property(word, fc.string(), (term, message) => {
        assert.equal(compileFilterPattern(`-${term}`)(message), !message.includes(term));
      }),
    );
  });

  it('matches ?a ?b exactly when either appears', () => {
    fc.assert(
      fc.property(word, word, fc.string(), (a, b, message) => {
        assert.equal(compileFilterPattern(`?${a} ?${b}`)(message), message.includes(a) || message.includes(b));
      }),
    );
  });

  it('matches a quoted phrase with spaces as one term', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.string(), fc.string(), (words, before, after) => {
        const phrase = words.join(' ');
        assert.equal(compileFilterPattern(`"${phrase}"`)(`${before}${phrase}${after}`), true);
      }),
    );
  });
});
