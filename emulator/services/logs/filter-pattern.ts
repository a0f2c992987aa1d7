// CloudWatch Logs filter patterns, compiled into a predicate over an event's message. Pure: no I/O, no store.
// We support the subset people type when reading a function's logs; space-delimited patterns (`[ip, user]`)
// and metric-filter features are deliberately not supported and are rejected, never silently ignored.
//
// Supported, all case-sensitive like AWS:
//   (empty)                       every event
//   ERROR Task                    every term must appear (substring match), in any order
//   "Task timed out"              a quoted phrase is one term (inside it, \" is a quote)
//   ?ERROR ?WARN                  at least one of the `?` terms must appear
//   ERROR -healthcheck            `-` terms must not appear
//   %ERR(OR)?%                    a term between % is a regular expression
//   { $.level = "ERROR" }         JSON events: = and != on strings, `*` is a wildcard ("x*")
//   { $.ms > 100 }                numbers: =, !=, >, <, >=, <=
//   { $.ok IS TRUE } / IS FALSE / IS NULL / { $.x NOT EXISTS }
//   { $.a = 1 && ($.b = "x" || $.c != "y") }
//   Selectors are `$` followed by `.name` or `[index]` steps; a missing member matches no comparison.
// Mixing required, `?` and `-` terms: all required terms, no excluded term, and (when there are any) one `?` term.
import { wildcardMatches } from '../../core/wildcard.js';
import { LinearRegex } from './regex.js';

/** A compiled pattern: true when the event's message matches. */
export interface LogEventMatcher {
  (message: string): boolean;
  /**
   * The same verdict, pausing (a bare `yield`) now and then inside costly regular expressions, so a scan over
   * long messages can let other work run between two pauses (see LinearRegex.run).
   */
  steps(message: string): Generator<void, boolean, void>;
}

/** Parentheses in a JSON pattern nested deeper than this are refused: parsing recurses once per level. */
export const MAX_JSON_PATTERN_DEPTH = 100;

/** A matcher from its stepwise form: the plain call runs the steps to the end. */
function matcher(steps: (message: string) => Generator<void, boolean, void>): LogEventMatcher {
  const whole = (message: string): boolean => {
    const run = steps(message);
    for (;;) {
      const step = run.next();
      if (step.done) return step.value;
    }
  };
  return Object.assign(whole, { steps });
}

/** A matcher that never pauses (its work is bounded by the message's length, with a small constant). */
function immediate(test: (message: string) => boolean): LogEventMatcher {
  return matcher(function* (message) {
    return test(message);
  });
}

/** A pattern we cannot read; the store answers it with InvalidParameterException. */
export class FilterPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterPatternError';
  }
}

/**
 * Compiles a CloudWatch Logs filter pattern.
 * @param pattern - the pattern as the user wrote it; undefined or blank matches every event
 * @throws FilterPatternError for syntax outside the supported subset
 */
export function compileFilterPattern(pattern: string | undefined): LogEventMatcher {
  const text = (pattern ?? '').trim();
  if (text === '') return immediate(() => true);
  if (text.startsWith('{')) return compileJsonPattern(text);
  if (text.startsWith('[')) {
    throw new FilterPatternError('Space-delimited filter patterns ([field, ...]) are not supported by the local cloud');
  }
  return compileTermPattern(text);
}

// ---------------------------------------------------------------------------------------------------------
// Term patterns

type TermKind = 'required' | 'optional' | 'excluded';

interface Term {
  kind: TermKind;
  run(message: string): Generator<void, boolean, void>;
}

/** A substring term: one native search, never paused. */
function substringTerm(kind: TermKind, value: string): Term {
  return {
    kind,
    *run(message) {
      return message.includes(value);
    },
  };
}

function compileTermPattern(text: string): LogEventMatcher {
  const terms = readTerms(text);
  const required = terms.filter((t) => t.kind === 'required');
  const optional = terms.filter((t) => t.kind === 'optional');
  const excluded = terms.filter((t) => t.kind === 'excluded');
  return matcher(function* (message) {
    for (const term of required) if (!(yield* term.run(message))) return false;
    for (const term of excluded) if (yield* term.run(message)) return false;
    if (optional.length === 0) return true;
    for (const term of optional) if (yield* term.run(message)) return true;
    return false;
  });
}

function readTerms(text: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    let kind: TermKind = 'required';
    if (text[i] === '?' || text[i] === '-') {
      kind = text[i] === '?' ? 'optional' : 'excluded';
      i++;
      if (i >= text.length || /\s/.test(text[i]!)) throw new FilterPatternError(`Expected a term after "${text[i - 1]}"`);
    }
    if (text[i] === '"') {
      const { value, end } = readQuoted(text, i);
      terms.push(substringTerm(kind, value));
      i = end;
    } else if (text[i] === '%') {
      const close = text.indexOf('%', i + 1);
      if (close < 0) throw new FilterPatternError('Unterminated regular expression: expected a closing %');
      const regex = toRegExp(text.slice(i + 1, close));
      terms.push({ kind, run: (message) => regex.run(message) });
      i = close + 1;
    } else {
      let end = i;
      while (end < text.length && !/\s/.test(text[end]!)) end++;
      terms.push(substringTerm(kind, text.slice(i, end)));
      i = end;
    }
  }
  return terms;
}

/** Compiled for linear-time matching: a RegExp would let `%(a+)+b%` freeze the cloud on a long message. */
function toRegExp(source: string): LinearRegex {
  if (source === '') throw new FilterPatternError('Empty regular expression');
  try {
    return new LinearRegex(source);
  } catch (error) {
    throw new FilterPatternError(`Invalid regular expression: ${(error as Error).message}`);
  }
}

/** Reads `"..."` starting at the opening quote; `\"` and `\\` are escapes. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      value += text[++i];
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  throw new FilterPatternError('Unterminated quoted string');
}

// ---------------------------------------------------------------------------------------------------------
// JSON patterns

type PathStep = string | number;
type JsonPredicate = (event: unknown) => boolean;

type Token =
  | { type: 'selector'; path: PathStep[] }
  | { type: 'string'; value: string }
  | { type: 'word'; value: string }
  | { type: 'op'; value: '=' | '!=' | '>' | '<' | '>=' | '<=' }
  | { type: 'and' | 'or' | 'lparen' | 'rparen' };

function compileJsonPattern(text: string): LogEventMatcher {
  if (!text.endsWith('}')) throw new FilterPatternError('A JSON filter pattern must end with }');
  const tokens = tokenizeJson(text.slice(1, -1));
  if (tokens.length === 0) throw new FilterPatternError('Empty JSON filter pattern');
  const parser = new JsonPatternParser(tokens);
  const predicate = parser.parse();
  return immediate((message) => {
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      return false; // Not a JSON event: AWS's JSON patterns never match plain text.
    }
    return predicate(event);
  });
}

function tokenizeJson(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c === '(' ? 'lparen' : 'rparen' });
      i++;
    } else if (text.startsWith('&&', i) || text.startsWith('||', i)) {
      tokens.push({ type: c === '&' ? 'and' : 'or' });
      i += 2;
    } else if (text.startsWith('!=', i) || text.startsWith('>=', i) || text.startsWith('<=', i)) {
      tokens.push({ type: 'op', value: text.slice(i, i + 2) as '!=' | '>=' | '<=' });
      i += 2;
    } else if (c === '=' || c === '>' || c === '<') {
      tokens.push({ type: 'op', value: c });
      i++;
    } else if (c === '"') {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: 'string', value });
      i = end;
    } else if (c === '$') {
      const { path, end } = readSelector(text, i);
      tokens.push({ type: 'selector', path });
      i = end;
    } else {
      let end = i;
      while (end < text.length && !/[\s()=!<>&|"]/.test(text[end]!)) end++;
      if (end === i) throw new FilterPatternError(`Unexpected character "${c}" in JSON filter pattern`);
      tokens.push({ type: 'word', value: text.slice(i, end) });
      i = end;
    }
  }
  return tokens;
}

function readSelector(text: string, start: number): { path: PathStep[]; end: number } {
  const path: PathStep[] = [];
  let i = start + 1;
  for (;;) {
    if (text[i] === '.') {
      const match = /^[A-Za-z0-9_@-]+/.exec(text.slice(i + 1));
      if (!match) throw new FilterPatternError('Expected a member name after "." in a selector');
      path.push(match[0]);
      i += 1 + match[0].length;
    } else if (text[i] === '[') {
      const match = /^\[(\d+)\]/.exec(text.slice(i));
      if (!match) throw new FilterPatternError('Expected [index] in a selector');
      path.push(Number(match[1]));
      i += match[0].length;
    } else {
      break;
    }
  }
  if (path.length === 0) throw new FilterPatternError('A selector must name a member, e.g. $.level');
  return { path, end: i };
}

/** expr := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '(' expr ')' | comparison */
class JsonPatternParser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): JsonPredicate {
    const predicate = this.orExpression();
    if (this.index < this.tokens.length) throw new FilterPatternError('Unexpected input after the end of the JSON filter pattern');
    return predicate;
  }

  private orExpression(): JsonPredicate {
    const parts = [this.andExpression()];
    while (this.peek()?.type === 'or') {
      this.index++;
      parts.push(this.andExpression());
    }
    return parts.length === 1 ? parts[0]! : (event) => parts.some((p) => p(event));
  }

  private andExpression(): JsonPredicate {
    const parts = [this.unary()];
    while (this.peek()?.type === 'and') {
      this.index++;
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0]! : (event) => parts.every((p) => p(event));
  }

  private unary(): JsonPredicate {
    const token = this.next();
    if (token?.type === 'lparen') {
      if (++this.depth > MAX_JSON_PATTERN_DEPTH) throw new FilterPatternError(`Parentheses nested more than ${MAX_JSON_PATTERN_DEPTH} deep`);
      const inner = this.orExpression();
      this.depth--;
      if (this.next()?.type !== 'rparen') throw new FilterPatternError('Expected ) in JSON filter pattern');
      return inner;
    }
    if (token?.type !== 'selector') throw new FilterPatternError('Expected a selector such as $.level');
    return this.comparison(token.path);
  }

  private comparison(path: PathStep[]): JsonPredicate {
    const token = this.next();
    if (token?.type === 'word' && token.value.toUpperCase() === 'IS') {
      const what = this.next();
      const keyword = what?.type === 'word' ? what.value.toUpperCase() : '';
      if (keyword === 'TRUE') return (event) => select(event, path).value === true;
      if (keyword === 'FALSE') return (event) => select(event, path).value === false;
      if (keyword === 'NULL') return (event) => select(event, path).found && select(event, path).value === null;
      throw new FilterPatternError('Expected TRUE, FALSE or NULL after IS');
    }
    if (token?.type === 'word' && token.value.toUpperCase() === 'NOT') {
      const what = this.next();
      if (what?.type !== 'word' || what.value.toUpperCase() !== 'EXISTS') throw new FilterPatternError('Expected EXISTS after NOT');
      return (event) => !select(event, path).found;
    }
    if (token?.type !== 'op') throw new FilterPatternError('Expected a comparison operator (=, !=, >, <, >=, <=)');
    const operand = this.next();
    if (operand?.type !== 'string' && operand?.type !== 'word') throw new FilterPatternError('Expected a value after the operator');
    const numeric = operand.type === 'word' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(operand.value) ? Number(operand.value) : undefined;
    const op = token.value;
    if (numeric !== undefined) return numericComparison(path, op, numeric);
    if (op !== '=' && op !== '!=') throw new FilterPatternError(`Operator ${op} needs a number`);
    const expected = operand.value;
    return (event) => {
      const { found, value } = select(event, path);
      if (!found) return false;
      const equal = typeof value === 'string' && wildcardMatches(expected, value);
      return op === '=' ? equal : !equal;
    };
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    return this.tokens[this.index++];
  }
}

function numericComparison(path: PathStep[], op: string, expected: number): JsonPredicate {
  return (event) => {
    const { found, value } = select(event, path);
    if (!found || typeof value !== 'number') return false;
    switch (op) {
      case '=':
        return value === expected;
      case '!=':
        return value !== expected;
      case '>':
        return value > expected;
      case '<':
        return value < expected;
      case '>=':
        return value >= expected;
      default:
        return value <= expected;
    }
  };
}

function select(event: unknown, path: PathStep[]): { found: boolean; value: unknown } {
  let current: unknown = event;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return { found: false, value: undefined };
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return { found: false, value: undefined };
      current = current[step];
    } else {
      if (Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, step)) return { found: false, value: undefined };
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: current };
}
