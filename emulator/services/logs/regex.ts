// The regular expressions of CloudWatch Logs filter patterns (`%...%`), matched in time linear in the message:
// a Thompson NFA run as a set of states, never backtracking. A JS RegExp here would let one FilterLogEvents call
// with `%a*a*a*a*b%` or `%(a+)+b%` freeze the whole local cloud; AWS runs these without backtracking too.
// Supported (a superset of AWS's documented syntax): literals, `.`, classes `[a-z]` `[^...]`, escapes `\d \w \s`
// and their negations, anchors `^ $`, quantifiers `* + ? {m} {m,} {m,n}`, alternation `|` and groups `( )`.
// Not supported: backreferences and lookaround (AWS has neither); they are refused, not guessed.

/** A pattern we cannot read; the caller words it for the client. */
export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

type Test = (char: string) => boolean;
type Node =
  | { type: 'char'; test: Test; next: number }
  | { type: 'split'; next: number; alt: number }
  | { type: 'eps'; next: number }
  | { type: 'bol'; next: number }
  | { type: 'eol'; next: number }
  | { type: 'match' };

interface Fragment {
  start: number;
  /** Dangling exits, each patched to point at whatever follows. */
  outs: ((target: number) => void)[];
}

/** Largest `{m,n}` bound, and largest compiled pattern: the work per character is bounded by the latter. */
const MAX_REPEAT = 1000;
const MAX_NODES = 10_000;
/** Groups nested deeper than this are refused: parsing recurses once per level, and no log search needs more. */
export const MAX_GROUP_DEPTH = 100;
/** Units of work (states visited) between two pauses of `run`: well under a millisecond. */
const RUN_QUANTUM = 20_000;

const CLASS_ESCAPES: Record<string, Test> = {
  d: (c) => c >= '0' && c <= '9',
  D: (c) => !(c >= '0' && c <= '9'),
  w: (c) => /\w/.test(c),
  W: (c) => !/\w/.test(c),
  s: (c) => /\s/.test(c),
  S: (c) => !/\s/.test(c),
};
const CONTROL_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v' };

/** A compiled pattern; `test` finds a match anywhere in the text, like RegExp.prototype.test. */
export class LinearRegex {
  private readonly nodes: Node[] = [];
  private readonly start: number;
  private position = 0;
  private depth = 0;

  constructor(private readonly source: string) {
    if (source === '') throw new RegexSyntaxError('Empty regular expression');
    const fragment = this.parseAlternation();
    if (this.position < source.length) throw new RegexSyntaxError(`Unmatched ')' at position ${this.position}`);
    const match = this.add({ type: 'match' });
    fragment.outs.forEach((patch) => patch(match));
    this.start = fragment.start;
  }

  test(text: string): boolean {
    const run = this.run(text);
    for (;;) {
      const step = run.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The same search, pausing (a bare `yield`) after about RUN_QUANTUM units of work (states visited), so that a
   * caller scanning many long messages can let other work run in between: a message of 256 KB against a
   * pattern with a thousand live states is seconds of work, linear or not.
   */
  *run(text: string): Generator<void, boolean, void> {
    const marks = new Int32Array(this.nodes.length).fill(-1);
    let current: number[] = [];
    let generation = 0;
    let work = 0;
    // Follows empty moves from `index`, adding the character-consuming states to `list`; true on reaching
    // the match state. Iterative, so a long chain of optional atoms cannot overflow the stack.
    const add = (list: number[], index: number, at: number): boolean => {
      const pending = [index];
      while (pending.length > 0) {
        const next = pending.pop()!;
        if (marks[next] === generation) continue;
        marks[next] = generation;
        const node = this.nodes[next]!;
        switch (node.type) {
          case 'match':
            return true;
          case 'char':
            list.push(next);
            break;
          case 'eps':
            pending.push(node.next);
            break;
          case 'split':
            pending.push(node.alt, node.next);
            break;
          case 'bol':
            if (at === 0) pending.push(node.next);
            break;
          case 'eol':
            if (at === text.length) pending.push(node.next);
            break;
        }
      }
      return false;
    };
    for (let at = 0; ; at++) {
      // Unanchored search: a match may begin at every position.
      if (add(current, this.start, at)) return true;
      if (at === text.length) return false;
      const char = text[at]!;
      generation++;
      const next: number[] = [];
      for (const index of current) {
        const node = this.nodes[index] as Extract<Node, { type: 'char' }>;
        if (node.test(char) && add(next, node.next, at + 1)) return true;
      }
      current = next;
      work += current.length + 1;
      if (work >= RUN_QUANTUM) {
        work = 0;
        yield;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- parsing

  private add(node: Node): number {
    if (this.nodes.length >= MAX_NODES) throw new RegexSyntaxError('Regular expression is too large');
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  private peek(): string | undefined {
    return this.source[this.position];
  }

  private parseAlternation(): Fragment {
    let fragment = this.parseSequence();
    while (this.peek() === '|') {
      this.position++;
      const right = this.parseSequence();
      const split = this.add({ type: 'split', next: fragment.start, alt: right.start });
      fragment = { start: split, outs: [...fragment.outs, ...right.outs] };
    }
    return fragment;
  }

  private parseSequence(): Fragment {
    let fragment: Fragment | undefined;
    while (this.position < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const piece = this.parsePiece();
      if (!fragment) fragment = piece;
      else {
        fragment.outs.forEach((patch) => patch(piece.start));
        fragment = { start: fragment.start, outs: piece.outs };
      }
    }
    if (fragment) return fragment;
    const empty = this.add({ type: 'eps', next: -1 });
    return { start: empty, outs: [(target) => ((this.nodes[empty] as { next: number }).next = target)] };
  }

  /** An atom and its quantifier. The atom is re-parsed for each copy `{m,n}` needs, so copies share no nodes. */
  private parsePiece(): Fragment {
    const atomStart = this.position;
    let fragment = this.parseAtom();
    const copy = (): Fragment => {
      const saved = this.position;
      this.position = atomStart;
      const again = this.parseAtom();
      this.position = saved;
      return again;
    };
    const quantifier = this.peek();
    if (quantifier === '*' || quantifier === '+' || quantifier === '?') {
      this.position++;
      if (this.peek() === '?' || this.peek() === '+') this.position++; // lazy/possessive: same language
      return quantifier === '*' ? this.star(fragment) : quantifier === '+' ? this.plus(fragment) : this.optional(fragment);
    }
    if (quantifier === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.position));
      if (!match) throw new RegexSyntaxError(`Invalid quantifier at position ${this.position}`);
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || max < min) throw new RegexSyntaxError(`Invalid repetition {${match[1]}${match[2] ?? ''}}`);
      this.position += match[0].length;
      const parts: Fragment[] = [];
      for (let i = 0; i < min; i++) parts.push(i === 0 ? fragment : copy());
      if (max === Infinity) parts.push(this.star(min === 0 ? fragment : copy()));
      else for (let i = min; i < max; i++) parts.push(this.optional(i === 0 ? fragment : copy()));
      if (parts.length === 0) return this.parseSequenceOf([]);
      fragment = parts[0]!;
      for (const part of parts.slice(1)) {
        fragment.outs.forEach((patch) => patch(part.start));
        fragment = { start: fragment.start, outs: part.outs };
      }
    }
    return fragment;
  }

  private parseSequenceOf(parts: Fragment[]): Fragment {
    if (parts.length > 0) return parts[0]!;
    const empty = this.add({ type: 'eps', next: -1 });
    return { start: empty, outs: [(target) => ((this.nodes[empty] as { next: number }).next = target)] };
  }

  private star(fragment: Fragment): Fragment {
    const split = this.add({ type: 'split', next: fragment.start, alt: -1 });
    fragment.outs.forEach((patch) => patch(split));
    return { start: split, outs: [(target) => ((this.nodes[split] as { alt: number }).alt = target)] };
  }

  private plus(fragment: Fragment): Fragment {
    const split = this.add({ type: 'split', next: fragment.start, alt: -1 });
    fragment.outs.forEach((patch) => patch(split));
    return { start: fragment.start, outs: [(target) => ((this.nodes[split] as { alt: number }).alt = target)] };
  }

  private optional(fragment: Fragment): Fragment {
    const split = this.add({ type: 'split', next: fragment.start, alt: -1 });
    return { start: split, outs: [...fragment.outs, (target) => ((this.nodes[split] as { alt: number }).alt = target)] };
  }

  private char(test: Test): Fragment {
    const index = this.add({ type: 'char', test, next: -1 });
    return { start: index, outs: [(target) => ((this.nodes[index] as { next: number }).next = target)] };
  }

  private anchor(type: 'bol' | 'eol'): Fragment {
    const index = this.add({ type, next: -1 });
    return { start: index, outs: [(target) => ((this.nodes[index] as { next: number }).next = target)] };
  }

  private parseAtom(): Fragment {
    const char = this.source[this.position++];
    switch (char) {
      case undefined:
        throw new RegexSyntaxError('Unexpected end of regular expression');
      case '(': {
        if (this.source.startsWith('?:', this.position)) this.position += 2;
        else if (this.peek() === '?') throw new RegexSyntaxError('Lookaround and named groups are not supported');
        if (++this.depth > MAX_GROUP_DEPTH) throw new RegexSyntaxError(`Groups nested more than ${MAX_GROUP_DEPTH} deep`);
        const inner = this.parseAlternation();
        this.depth--;
        if (this.source[this.position++] !== ')') throw new RegexSyntaxError('Unterminated group');
        return inner;
      }
      case ')':
        throw new RegexSyntaxError(`Unmatched ')' at position ${this.position - 1}`);
      case '*':
      case '+':
      case '?':
      case '{':
        throw new RegexSyntaxError(`Nothing to repeat at position ${this.position - 1}`);
      case '.':
        return this.char((c) => c !== '\n' && c !== '\r');
      case '^':
        return this.anchor('bol');
      case '$':
        return this.anchor('eol');
      case '[':
        return this.char(this.parseClass());
      case '\\': {
        const test = this.parseEscape();
        return this.char(test);
      }
      default:
        return this.char((c) => c === char);
    }
  }

  private parseEscape(): Test {
    const escaped = this.source[this.position++];
    if (escaped === undefined) throw new RegexSyntaxError('\\ at end of pattern');
    const classTest = CLASS_ESCAPES[escaped];
    if (classTest) return classTest;
    const control = CONTROL_ESCAPES[escaped];
    if (control !== undefined) return (c) => c === control;
    if (/[1-9]/.test(escaped)) throw new RegexSyntaxError('Backreferences are not supported');
    if (/[A-Za-z]/.test(escaped)) throw new RegexSyntaxError(`Unsupported escape \\${escaped}`);
    return (c) => c === escaped;
  }

  private parseClass(): Test {
    const negated = this.peek() === '^';
    if (negated) this.position++;
    const tests: Test[] = [];
    let first = true;
    for (;;) {
      const char = this.source[this.position++];
      if (char === undefined) throw new RegexSyntaxError('Unterminated character class');
      if (char === ']' && !first) break;
      first = false;
      let low = char;
      if (char === '\\') {
        const escaped = this.source[this.position++];
        if (escaped === undefined) throw new RegexSyntaxError('\\ at end of pattern');
        const classTest = CLASS_ESCAPES[escaped];
        if (classTest) {
          tests.push(classTest);
          continue;
        }
        if (/[A-Za-z0-9]/.test(escaped) && CONTROL_ESCAPES[escaped] === undefined) throw new RegexSyntaxError(`Unsupported escape \\${escaped} in character class`);
        low = CONTROL_ESCAPES[escaped] ?? escaped;
      }
      if (this.peek() === '-' && this.source[this.position + 1] !== undefined && this.source[this.position + 1] !== ']') {
        this.position++;
        let high = this.source[this.position++]!;
        if (high === '\\') {
          const escaped = this.source[this.position++];
          if (escaped === undefined) throw new RegexSyntaxError('\\ at end of pattern');
          high = CONTROL_ESCAPES[escaped] ?? escaped;
        }
        if (high < low) throw new RegexSyntaxError(`Range out of order in character class: ${low}-${high}`);
        const from = low;
        tests.push((c) => c >= from && c <= high);
      } else {
        const only = low;
        tests.push((c) => c === only);
      }
    }
    return negated ? (c) => !tests.some((test) => test(c)) : (c) => tests.some((test) => test(c));
  }
}
