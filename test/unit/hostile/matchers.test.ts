// The pattern matchers that run on client-supplied patterns (IAM/Lambda policy wildcards, CloudWatch Logs
// filter wildcards and `%regex%` terms) must give the same answers as the RegExps they replaced, and must stay
// fast on patterns built to make a backtracking engine explode: one request must not freeze the local cloud.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { wildcardMatches } from '../../../emulator/core/wildcard.js';
import { LinearRegex } from '../../../emulator/services/logs/regex.js';
import { compileFilterPattern } from '../../../emulator/services/logs/filter-pattern.js';
import { globMatches } from '../../../emulator/services/iam/policy-document.js';
import { fuzzRuns, fuzzSeed } from '../../helpers/hostile.js';

/** The RegExp translation the wildcard matcher replaced: the reference for its answers. */
function referenceWildcard(pattern: string, value: string, caseInsensitive: boolean, questionMark: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, questionMark ? '.' : '\\?');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(value);
}

const alphabet = fc.constantFrom('a', 'b', 'A', ':', '*', '?', '.', '-');
const shortText = (chars: fc.Arbitrary<string>, maxLength: number) => fc.array(chars, { maxLength }).map((parts) => parts.join(''));

describe('wildcardMatches', () => {
  it('agrees with the RegExp translation it replaced', () => {
    fc.assert(
      fc.property(shortText(alphabet, 8), shortText(fc.constantFrom('a', 'b', 'A', ':', '.', '-', '?', '*'), 10), fc.boolean(), fc.boolean(), (pattern, value, caseInsensitive, questionMark) => {
        assert.equal(wildcardMatches(pattern, value, { caseInsensitive, questionMark }), referenceWildcard(pattern, value, caseInsensitive, questionMark), `${pattern} vs ${value}`);
      }),
      { numRuns: fuzzRuns(2000), ...fuzzSeed() },
    );
  });

  it('answers IAM-style patterns', () => {
    assert.equal(globMatches('s3:Get*', 's3:getobject'), true);
    assert.equal(globMatches('arn:aws:s3:::photos/*', 'arn:aws:s3:::photos/a/b.jpg'), true);
    assert.equal(globMatches('sts:Assume?ole', 'sts:AssumeRole'), true);
    assert.equal(globMatches('sts:AssumeRole', 'sts:AssumeRoleWithSAML'), false);
    assert.equal(wildcardMatches('a?c', 'a?c'), true);
    assert.equal(wildcardMatches('a?c', 'abc'), false, 'in Logs, ? is literal');
  });

  it('stays fast on patterns that make a backtracking RegExp explode', () => {
    const started = performance.now();
    assert.equal(globMatches(`${'a*'.repeat(40)}b`, 'a'.repeat(5000)), false);
    assert.equal(wildcardMatches(`${'*a'.repeat(60)}*b`, `${'a'.repeat(20_000)}c`), false);
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });
});

/** Regex sources from a small grammar: atoms, classes, groups, alternations and every quantifier. */
const regexSource: fc.Arbitrary<string> = fc.letrec<{ regex: string; piece: string }>((tie) => ({
  regex: fc.array(tie('piece'), { minLength: 1, maxLength: 4 }).chain((pieces) => fc.constantFrom(pieces.join(''), `${pieces.join('')}|${pieces[0]}`)),
  piece: fc
    .tuple(
      fc.oneof(
        { depthSize: 'small', maxDepth: 2 },
        fc.constantFrom('a', 'b', 'c', '.', '\\d', '\\w', '\\s', '\\.', '[ab]', '[^a]', '[a-c]', '[\\d]', '-', ':', '1'),
        tie('regex').map((inner) => `(${inner})`),
      ),
      fc.constantFrom('', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?'),
      fc.constantFrom('', '', '', '^', '$'),
    )
    .map(([atom, quantifier, anchor]) => (anchor === '^' ? `^${atom}${quantifier}` : `${atom}${quantifier}${anchor}`)),
})).regex;

describe('LinearRegex (CloudWatch Logs %regex% terms)', () => {
  it('agrees with RegExp on the supported syntax', () => {
    fc.assert(
      fc.property(regexSource, shortText(fc.constantFrom('a', 'b', 'c', '1', ' ', '-', ':', '.', 'x'), 12), (source, text) => {
        let reference: RegExp;
        try {
          reference = new RegExp(source);
        } catch {
          return; // not a pattern either engine should accept
        }
        assert.equal(new LinearRegex(source).test(text), reference.test(text), `/${source}/ on ${JSON.stringify(text)}`);
      }),
      { numRuns: fuzzRuns(1000), ...fuzzSeed() },
    );
  });

  it('refuses what it does not support, by name', () => {
    for (const [source, reason] of [
      ['(a)\\1', /Backreferences/],
      ['(?=a)', /Lookaround/],
      ['[a-', /Unterminated character class/],
      ['a{2000}', /Invalid repetition/],
      ['*a', /Nothing to repeat/],
      ['a)', /Unmatched/],
      ['\\b', /Unsupported escape/],
    ] as const) {
      assert.throws(() => new LinearRegex(source), reason, source);
    }
  });

  it('stays linear on catastrophic-backtracking patterns', () => {
    const message = `${'a'.repeat(100_000)}!`;
    const started = performance.now();
    for (const source of ['(a+)+b', '(a|a)*b', 'a*a*a*a*a*a*a*a*a*a*b', '(a*)*$x', '(\\w+\\s?)+$!x']) {
      assert.equal(new LinearRegex(source).test(message), false, source);
    }
    assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
  });

  it('keeps a FilterLogEvents pattern of that kind from blocking the event loop', () => {
    const matcher = compileFilterPattern('%(a+)+b%');
    const started = performance.now();
    assert.equal(matcher(`${'a'.repeat(50_000)}!`), false);
    const wildcard = compileFilterPattern(`{ $.user = "${'a*'.repeat(30)}b" }`);
    assert.equal(wildcard(JSON.stringify({ user: 'a'.repeat(10_000) })), false);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });
});
