import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runThumbctl } from '../../helpers/thumbctl.js';

const IMPORT_RECORDER = fileURLToPath(new URL('../../helpers/import-recorder.mjs', import.meta.url));
/** What only running a command may load: the AWS SDK, the local cloud, the image, packaging and database libraries. */
const HEAVY_MODULE = /(^|\/)node_modules\/(@aws-sdk|@smithy|sharp|esbuild|archiver|better-sqlite3|yauzl|fast-xml-parser|ora)\/|(^|\/)(dist\/)?emulator\//;
const BUNDLE_DIR = fileURLToPath(new URL('../../../dist/bundle/', import.meta.url));
/** The sources in each file of the CLI's bundle (written by scripts/bundle.mjs), by file name. */
const bundleInputs = JSON.parse(readFileSync(join(BUNDLE_DIR, 'inputs.json'), 'utf8')) as Record<string, string[]>;

/**
 * What a list of loaded module URLs brought in: each file of the bundle stands for the sources it holds, any
 * other URL for itself. A bundle file holding one heavy source counts as loading it.
 */
function sourcesOf(loaded: string[]): string[] {
  return loaded.flatMap((url) => {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    return path.startsWith(BUNDLE_DIR) ? (bundleInputs[path.slice(BUNDLE_DIR.length)] ?? [path]) : [path];
  });
}

/** Runs thumbctl with a module hook that records every ES module it loads; returns their URLs and the result. */
async function modulesLoadedBy(args: string[]): Promise<{ loaded: string[]; code: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'thumbctl-imports-'));
  try {
    const log = join(dir, 'imports.log');
    const result = await runThumbctl(args, {
      cwd: dir,
      env: { NODE_OPTIONS: `--import ${IMPORT_RECORDER}`, THUMBCTL_TEST_IMPORT_LOG: log, THUMBCTL_STATE_DIR: join(dir, 'state') },
    });
    return { loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean), code: result.code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    for (const name of ['setup', 'status', 'teardown', 'doctor', 'upload', 'invoke', 'logs', 'traces', 'bench', 'demo', 'local']) {
      assert.match(result.stdout, new RegExp(`^  ${name}\\b`, 'm'), `missing ${name}`);
    }
  });

  it('loads no AWS SDK, local cloud or image library to print its version or any help', async () => {
    for (const args of [['--version'], ['--help'], ['upload', '--help'], ['traces', '--help'], ['local', 'serve', '--help']]) {
      const { loaded, code } = await modulesLoadedBy(args);
      assert.equal(code, 0);
      assert.ok(loaded.some((url) => url.endsWith('/dist/bundle/thumbctl.js')), `the recorder saw thumbctl ${args.join(' ')} load the program`);
      assert.ok(sourcesOf(loaded).includes('cli/main.ts'), 'the bundle index names the program among its sources');
      assert.deepEqual(sourcesOf(loaded).filter((source) => HEAVY_MODULE.test(source)), [], `thumbctl ${args.join(' ')}`);
    }
    // The same recorder sees the SDK once a command runs (here invoke, which fails on its event file before connecting).
    const running = await modulesLoadedBy(['invoke', '--event', 'no-such-event.json']);
    assert.equal(running.code, 2);
    assert.ok(sourcesOf(running.loaded).some((source) => /(^|\/)node_modules\/@aws-sdk\//.test(source)), 'a running command loads the SDK');
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
