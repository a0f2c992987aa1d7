import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runThumbctl } from '../../helpers/thumbctl.js';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the thumbctl program', () => {
  it('prints its version', async () => {
    const result = await runThumbctl(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), version);
  });

  it('lists every command in --help', async () => {
    const result = await runThumbctl(['--help']);
    assert.equal(result.code, 0);
    for (const name of ['setup', 'status', 'teardown', 'upload', 'invoke', 'logs', 'traces', 'bench', 'demo', 'local']) {
      assert.match(result.stdout, new RegExp(`^  ${name}\\b`, 'm'), `missing ${name}`);
    }
  });

  it('answers an unknown option with one line and exit code 2', async () => {
    const result = await runThumbctl(['setup', '--no-such-flag']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--no-such-flag'/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('refuses an unknown target before touching anything', async () => {
    const result = await runThumbctl(['status', '--target', 'mars']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mars/);
  });
});
