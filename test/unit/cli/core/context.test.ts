// The context: the connection and the settings resolved once (flag > config file > default), every one validated
// before anything can start, and a session opened only on request.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../../../cli/output.js';
import { resolveConnectionContext, resolveContext } from '../../../../cli/core/context.js';

let dir: string;

function configFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

function usageError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof UserError && error.exitCode === 2 && pattern.test(error.message);
}

describe('resolveContext', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'thumbctl-context-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a flag over the config file over the default, for the connection and the settings alike', () => {
    const config = configFile('both.json', { region: 'eu-west-1', memory: 256, functionName: 'from-config', stateDir: join(dir, 'state') });
    const context = resolveContext({ config, target: 'local' }, { functionName: 'from-flag' });
    assert.equal(context.connection.region, 'eu-west-1');
    assert.equal(context.connection.stateDir, join(dir, 'state'));
    assert.equal(context.settings.functionName, 'from-flag');
    assert.equal(context.settings.memory, 256);
    assert.equal(context.settings.timeout, 10);
  });

  it('refuses a bad connection or a bad setting, from a flag or the config file, with a usage error', () => {
    assert.throws(() => resolveContext({ target: 'mars' }, {}), usageError(/mars/));
    assert.throws(() => resolveContext({ config: configFile('region.json', { region: 'moon' }) }, {}), usageError(/region/));
    assert.throws(() => resolveContext({ config: configFile('memory.json', { memory: 64 }) }, {}), usageError(/--memory/));
    assert.throws(() => resolveContext({}, { functionName: 'has spaces' }), usageError(/function name/));
    assert.throws(() => resolveContext({ config: join(dir, 'missing.json') }, {}), usageError(/config file not found/));
  });

  it('starts nothing until open(); the session then knows its target, endpoint and that it runs no cloud of its own', async () => {
    const stateDir = join(dir, 'never-created');
    const context = resolveContext(
      { target: 'local', endpointUrl: 'http://127.0.0.1:9', stateDir },
      { sourceBucket: 'given-source', thumbnailBucket: 'given-thumbnails' },
    );
    assert.equal(existsSync(stateDir), false, 'resolving touches nothing');
    const session = await context.open();
    try {
      assert.equal(session.connection.target, 'local');
      assert.equal(session.endpoint, 'http://127.0.0.1:9');
      assert.equal(session.embedded, false, 'an explicit endpoint is not this command\'s cloud');
      assert.equal(session.localCloudPid(), null);
      // Both bucket names given: no account needed, so no call is made (nothing listens on port 9).
      const resources = await session.resources();
      assert.equal(resources.sourceBucket, 'given-source');
      assert.equal(resources.thumbnailBucket, 'given-thumbnails');
    } finally {
      await session.close();
    }
    assert.equal(existsSync(stateDir), false, 'no local cloud was started');
  });
});

describe('resolveConnectionContext', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'thumbctl-context-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves the connection alone: a bad thumbnailer setting in the config file is not its business', () => {
    const config = configFile('serve.json', { memory: 64, region: 'eu-central-1' });
    assert.equal(resolveConnectionContext({ config }).connection.region, 'eu-central-1');
    assert.throws(() => resolveConnectionContext({ config, endpointUrl: 'ftp://x' }), usageError(/http/));
  });
});
