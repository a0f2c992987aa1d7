// Bad input to the CLI is refused at once, in one line, with exit 2 (usage), before any AWS call: an upload key
// with "." or ".." segments (S3 keeps them, URL handling normalises them away, so the thumbnail was never found
// and the command waited out its timeout), and an --event file that is malformed or nested too deep.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runThumbctl } from '../../helpers/thumbctl.js';

const SAMPLE_PHOTO = new URL('../../../assets/canyon.jpg', import.meta.url).pathname;
/** Nothing listens here: a command that got as far as calling AWS would fail with exit 1, not 2. */
const NOWHERE = ['--endpoint-url', 'http://127.0.0.1:1'];
const dir = mkdtempSync(join(tmpdir(), 'thumbctl-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertUsage(result: { code: number; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, pattern);
  assert.equal(result.stdout, '');
}

describe('bad CLI input', () => {
  it('upload --key with a "." or ".." segment: exit 2 at once, saying why', async () => {
    for (const key of ['dir/./z-64x64.jpg', 'dir/../z-64x64.jpg', '../z-64x64.jpg']) {
      const result = await runThumbctl(['upload', SAMPLE_PHOTO, '64x64', '--key', key, ...NOWHERE], { cwd: dir, timeoutMs: 30_000 });
      assertUsage(result, /path segment: S3 allows it, but presigned URLs and most HTTP stacks normalise it away/);
    }
  });

  it('invoke --event with malformed or too deeply nested JSON: exit 2 naming the file', async () => {
    const files = {
      malformed: ['{"Records": [', /is not JSON/],
      'deep-arrays': [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nested 100000 levels deep/],
      'deep-objects': [`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`, /nested 20000 levels deep/],
    } as const;
    for (const [name, [text, pattern]] of Object.entries(files)) {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, text);
      const result = await runThumbctl(['invoke', '--event', path, ...NOWHERE], { cwd: dir, timeoutMs: 30_000 });
      assertUsage(result, pattern);
      assert.ok(result.stderr.includes(path), `names ${path}: ${result.stderr}`);
    }
  });
});
