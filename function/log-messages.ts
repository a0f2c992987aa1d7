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

/** Subsegment names; `resize` sits between the `S3` GetObject and PutObject subsegments on a trace. */
export const SUBSEGMENTS = { resize: 'resize' } as const;
