// The log messages the handler writes and the trace subsegments it records, in a module with no side effects,
// so the CLI's log watcher and trace analysis can import the very strings they match instead of copying them.

/**
 * `rejected` lines are ERROR level, carry stable `key` and `reason` fields, and their message starts with
 * `thumbnail rejected` followed by the key, so a log watcher can fail fast on them.
 */
export const LOG_MESSAGES = {
  created: 'thumbnail created',
  skipped: 'thumbnail skipped',
  rejected: 'thumbnail rejected',
  retrying: 'thumbnail failed; throwing so Lambda retries',
  misconfigured: 'thumbnailer misconfigured',
} as const;

/**
 * Subsegment names. For a key with a size, `resize` (decode, resize, encode) sits between the `S3` GetObject and
 * PutObject subsegments on a trace. For variants, one `decode` follows GetObject, then each variant has its own
 * `resize` (resize and encode, annotated with `variant`, `size`, `fit` and `format`) and PutObject.
 */
export const SUBSEGMENTS = { resize: 'resize', decode: 'decode' } as const;
