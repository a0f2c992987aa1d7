// Rows of "what AWS answered", read from recordings of real AWS (LocalStack's snapshot files under
// tests/aws/services/<service>/*.snapshot.json, where ids, ARNs and timestamps are masked), checked against the
// local cloud through the real SDK clients. Each row names the recording it was read from.
import assert from 'node:assert/strict';

/** AWS's answer to an error row: the code (the SDK error's name), the HTTP status, the message. */
export interface RecordedError {
  code: string;
  status: number;
  message: string | RegExp;
}

export interface RecordedErrorRow {
  /** `<Operation>: <what is wrong with the input>`. */
  name: string;
  /** `<snapshot file> <test> <key>` it was read from. */
  recording: string;
  call(): Promise<unknown>;
  answer: RecordedError;
}

/** Runs the call and checks it fails exactly as recorded. */
export async function answersAsRecorded(row: RecordedErrorRow): Promise<void> {
  await assert.rejects(row.call(), (error: unknown) => {
    const failure = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const where = `${row.name} (recorded in ${row.recording})`;
    // The wire code: the SDK names IAM's modelled errors `<Code>Exception` and keeps the code itself in `Code`.
    assert.equal(failure.Code ?? failure.name, row.answer.code, `${where}: code`);
    assert.equal(failure.$metadata?.httpStatusCode, row.answer.status, `${where}: status`);
    if (typeof row.answer.message === 'string') assert.equal(failure.message, row.answer.message, `${where}: message`);
    else assert.match(failure.message ?? '', row.answer.message, `${where}: message`);
    return true;
  });
}

/** Checks an answer has exactly the recorded members present and absent (values are the service's own tests'). */
export function hasMembers(value: object | undefined, present: readonly string[], absent: readonly string[] = []): void {
  assert.ok(value, 'no answer');
  for (const member of present) assert.ok(member in value && (value as Record<string, unknown>)[member] !== undefined, `${member} missing`);
  for (const member of absent) assert.equal((value as Record<string, unknown>)[member], undefined, `${member} present, AWS leaves it out`);
}
