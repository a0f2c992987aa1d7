// Wildcard matching for the patterns AWS uses in policies and filters: `*` is any run of characters and,
// where the caller says so, `?` is exactly one. Linear in practice and O(pattern × value) at worst, never the
// exponential backtracking a translated RegExp falls into on `a*a*a*…b`: one crafted policy must not be able
// to freeze the whole local cloud. Characters are UTF-16 code units, as the RegExps this replaces counted them.

export interface WildcardOptions {
  /** Compare letters case-insensitively (IAM actions). */
  caseInsensitive?: boolean;
  /** Treat `?` as "any one character" (IAM, Lambda); otherwise it is literal (CloudWatch Logs). */
  questionMark?: boolean;
}

/**
 * True when `value` matches `pattern` as a whole.
 * @param pattern - the pattern, e.g. `s3:Get*` or `arn:aws:s3:::photos/*`
 * @param value - the text to test
 */
export function wildcardMatches(pattern: string, value: string, options: WildcardOptions = {}): boolean {
  const same = options.caseInsensitive
    ? (a: string, b: string): boolean => a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase()
    : (a: string, b: string): boolean => a === b;
  const any = options.questionMark ?? false;
  let p = 0;
  let v = 0;
  // Where the last `*` was, and how much of the value it has swallowed: on a mismatch it swallows one more.
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const token = pattern[p];
    if (token === '*') {
      star = p++;
      resume = v;
    } else if (token !== undefined && ((any && token === '?') || same(token, value[v]!))) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
