// X-Ray filter expressions (GetTraceSummaries' FilterExpression), compiled into a predicate over a trace
// summary. Pure: no I/O. We support the subset used to find a function's traces; anything else (edge(),
// rootcause, group filters, JSON annotations) is rejected with a clear message, never ignored.
//
// Supported (keywords are case-insensitive; values and annotation keys are case-sensitive):
//   service("name")                     the trace includes that service (a segment's or a downstream node's name)
//   id(name: "n", type: "AWS::Lambda")  the same, by name and optionally type
//   annotation.key = "v"                also !=, and <, <=, >, >= with numbers; = true / = false; bare
//                                       `annotation.key` means the annotation is present
//   http.url CONTAINS "x"               http.url / http.method / http.useragent / http.clientip with =, !=,
//                                       CONTAINS, BEGINSWITH, ENDSWITH; http.status with numeric comparisons
//   ok, error, fault, throttle, partial bare, or `= true` / `= false`
//   duration > 1, responsetime <= 0.5   seconds
//   user = "alice"
//   combined with AND / && , OR / || , NOT / ! and parentheses
import type { ServiceId, TraceSummary } from '@aws-sdk/client-xray';

export type TracePredicate = (summary: TraceSummary) => boolean;

/** An expression outside the supported subset; the store answers it with InvalidRequestException. */
export class FilterExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterExpressionError';
  }
}

type Value = string | number | boolean;
type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'BEGINSWITH' | 'ENDSWITH';

type Token =
  | { type: 'word'; value: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'op'; value: Operator }
  | { type: 'and' | 'or' | 'not' | 'lparen' | 'rparen' | 'comma' | 'colon' };

/**
 * Compiles a filter expression.
 * @param expression - the expression; undefined or blank matches every trace
 * @throws FilterExpressionError when it is not in the supported subset
 */
export function compileFilterExpression(expression: string | undefined): TracePredicate {
  const text = (expression ?? '').trim();
  if (text === '') return () => true;
  return new ExpressionParser(tokenize(text)).parse();
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const two = text.slice(i, i + 2);
    if (/\s/.test(c)) {
      i++;
    } else if (two === '&&' || two === '||') {
      tokens.push({ type: two === '&&' ? 'and' : 'or' });
      i += 2;
    } else if (two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ type: 'op', value: two });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      tokens.push({ type: 'op', value: c });
      i++;
    } else if (c === '!') {
      tokens.push({ type: 'not' });
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === ':') {
      tokens.push({ type: c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === ',' ? 'comma' : 'colon' });
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) value += text[j] === '\\' && j + 1 < text.length ? text[++j] : text[j];
      if (j >= text.length) throw new FilterExpressionError('Unterminated string in filter expression');
      tokens.push({ type: 'string', value });
      i = j + 1;
    } else if (/[-\d.]/.test(c) && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.test(text.slice(i))) {
      const match = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))!;
      const upper = match[0].toUpperCase();
      if (upper === 'AND' || upper === 'OR' || upper === 'NOT') tokens.push({ type: upper.toLowerCase() as 'and' | 'or' | 'not' });
      else if (upper === 'CONTAINS' || upper === 'BEGINSWITH' || upper === 'ENDSWITH') tokens.push({ type: 'op', value: upper });
      else tokens.push({ type: 'word', value: match[0] });
      i += match[0].length;
    } else {
      throw new FilterExpressionError(`Unexpected character "${c}" in filter expression`);
    }
  }
  return tokens;
}

/** expr := and (OR and)* ; and := unary (AND unary)* ; unary := NOT unary | '(' expr ')' | predicate */
class ExpressionParser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): TracePredicate {
    const predicate = this.orExpression();
    if (this.index < this.tokens.length) throw new FilterExpressionError('Unexpected input after the end of the filter expression');
    return predicate;
  }

  private orExpression(): TracePredicate {
    const parts = [this.andExpression()];
    while (this.peek()?.type === 'or') {
      this.index++;
      parts.push(this.andExpression());
    }
    return parts.length === 1 ? parts[0]! : (s) => parts.some((p) => p(s));
  }

  private andExpression(): TracePredicate {
    const parts = [this.unary()];
    while (this.peek()?.type === 'and') {
      this.index++;
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0]! : (s) => parts.every((p) => p(s));
  }

  private unary(): TracePredicate {
    const token = this.next();
    if (token?.type === 'not') {
      const inner = this.unary();
      return (s) => !inner(s);
    }
    if (token?.type === 'lparen') {
      const inner = this.orExpression();
      this.expect('rparen', ')');
      return inner;
    }
    if (token?.type !== 'word') throw new FilterExpressionError('Expected a keyword such as service("name") or annotation.key');
    return this.predicate(token.value);
  }

  private predicate(word: string): TracePredicate {
    const keyword = word.toLowerCase();
    if (keyword === 'service') return this.serviceFunction();
    if (keyword === 'id') return this.idFunction();
    if (keyword.startsWith('annotation.')) {
      const key = word.slice('annotation.'.length);
      if (key === '') throw new FilterExpressionError('Expected an annotation key after annotation.');
      const comparison = this.optionalComparison();
      return (s) => {
        const values = (s.Annotations?.[key] ?? []).map((v) => v.AnnotationValue?.StringValue ?? v.AnnotationValue?.NumberValue ?? v.AnnotationValue?.BooleanValue);
        if (!comparison) return values.length > 0;
        return values.some((v) => v !== undefined && compare(v, comparison.op, comparison.value));
      };
    }
    const field = FIELDS[keyword];
    if (!field) throw new FilterExpressionError(`The local cloud does not support "${word}" in filter expressions`);
    const comparison = this.optionalComparison();
    if (!comparison) {
      if (field.kind !== 'boolean') throw new FilterExpressionError(`"${word}" needs a comparison`);
      return (s) => field.read(s).some((v) => v === true);
    }
    return (s) => field.read(s).some((v) => v !== undefined && compare(v, comparison.op, comparison.value));
  }

  /** service("name"), or service() for any trace with a service. */
  private serviceFunction(): TracePredicate {
    this.expect('lparen', '(');
    if (this.peek()?.type === 'rparen') {
      this.index++;
      return (s) => (s.ServiceIds ?? []).length > 0;
    }
    const name = this.expectString();
    this.expect('rparen', ')');
    return (s) => (s.ServiceIds ?? []).some((id) => hasName(id, name));
  }

  /** id(name: "n", type: "t") */
  private idFunction(): TracePredicate {
    this.expect('lparen', '(');
    const wanted: { name?: string; type?: string } = {};
    while (this.peek()?.type !== 'rparen') {
      const key = this.next();
      if (key?.type !== 'word' || !['name', 'type'].includes(key.value.toLowerCase())) throw new FilterExpressionError('id() takes name: and type:');
      this.expect('colon', ':');
      wanted[key.value.toLowerCase() as 'name' | 'type'] = this.expectString();
      if (this.peek()?.type === 'comma') this.index++;
    }
    this.index++;
    return (s) =>
      (s.ServiceIds ?? []).some((id) => (wanted.name === undefined || hasName(id, wanted.name)) && (wanted.type === undefined || id.Type === wanted.type));
  }

  private optionalComparison(): { op: Operator; value: Value } | undefined {
    const op = this.peek();
    if (op?.type !== 'op') return undefined;
    this.index++;
    const operand = this.next();
    if (operand?.type === 'string' || operand?.type === 'number') return { op: op.value, value: operand.value };
    if (operand?.type === 'word' && /^(true|false)$/i.test(operand.value)) return { op: op.value, value: operand.value.toLowerCase() === 'true' };
    throw new FilterExpressionError(`Expected a value after ${op.value}`);
  }

  private expectString(): string {
    const token = this.next();
    if (token?.type !== 'string') throw new FilterExpressionError('Expected a quoted string');
    return token.value;
  }

  private expect(type: Token['type'], shown: string): void {
    if (this.next()?.type !== type) throw new FilterExpressionError(`Expected ${shown} in filter expression`);
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    return this.tokens[this.index++];
  }
}

interface Field {
  kind: 'boolean' | 'number' | 'string';
  read(summary: TraceSummary): (Value | undefined)[];
}

const FIELDS: Record<string, Field> = {
  ok: { kind: 'boolean', read: (s) => [!s.HasError && !s.HasFault && !s.HasThrottle] },
  error: { kind: 'boolean', read: (s) => [s.HasError === true] },
  fault: { kind: 'boolean', read: (s) => [s.HasFault === true] },
  throttle: { kind: 'boolean', read: (s) => [s.HasThrottle === true] },
  partial: { kind: 'boolean', read: (s) => [s.IsPartial === true] },
  duration: { kind: 'number', read: (s) => [s.Duration] },
  responsetime: { kind: 'number', read: (s) => [s.ResponseTime] },
  'http.url': { kind: 'string', read: (s) => [s.Http?.HttpURL] },
  'http.method': { kind: 'string', read: (s) => [s.Http?.HttpMethod] },
  'http.useragent': { kind: 'string', read: (s) => [s.Http?.UserAgent] },
  'http.clientip': { kind: 'string', read: (s) => [s.Http?.ClientIp] },
  'http.status': { kind: 'number', read: (s) => [s.Http?.HttpStatus] },
  user: { kind: 'string', read: (s) => (s.Users ?? []).map((u) => u.UserName) },
};

function hasName(id: ServiceId, name: string): boolean {
  return id.Name === name || (id.Names ?? []).includes(name);
}

function compare(actual: Value, op: Operator, expected: Value): boolean {
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return op === '!=';
    switch (op) {
      case '=':
        return actual === expected;
      case '!=':
        return actual !== expected;
      case 'CONTAINS':
        return actual.includes(expected);
      case 'BEGINSWITH':
        return actual.startsWith(expected);
      case 'ENDSWITH':
        return actual.endsWith(expected);
      default:
        return false;
    }
  }
  if (typeof expected === 'boolean') {
    if (op === '=') return actual === expected;
    if (op === '!=') return actual !== expected;
    return false;
  }
  if (typeof actual !== 'number') return op === '!=';
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    default:
      return false;
  }
}
