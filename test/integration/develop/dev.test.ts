// `thumbctl dev` through the real CLI (the compiled dist/, run `npm run build` first), driven as an editor would:
// file writes in an ejected function directory, then its --json line stream read back (one object per build).
// A changed crop shows in the replayed thumbnail, a syntax error and a runtime error are reported and the loop goes
// on, SIGINT ends it cleanly with the last good code still deployed; and its usage errors.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_CREDENTIALS } from '../../../cli/core/local-auth.js';
import { samplePhotoPath } from '../../../cli/core/paths.js';
import { runThumbctl, startLocalServe, THUMBCTL_BIN, type ThumbctlResult } from '../../helpers/thumbctl.js';

const directories: string[] = [];
/** dev processes still running: a failed test must not leave one behind (it would hold the runner open). */
const running = new Set<ChildProcess>();

function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `thumbctl-${tag}-`));
  directories.push(dir);
  return dir;
}

after(() => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

function thumbctl(project: string, args: string[]): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--state-dir', join(project, '.state')], { cwd: project, env: { THUMBCTL_LOCAL_FAULTS: undefined }, timeoutMs: 240_000 });
}

interface DevLine {
  build: number;
  deployMs: number | null;
  e2eMs: number | null;
  thumbnail: { width: number | null; height: number | null; bytes: number } | null;
  error: string | null;
  stage: string | null;
  codeSha256: string;
  errorLines: string[];
}

/** `thumbctl dev --json` in `project`: its builds as they arrive, and a way to wait for the next one. */
function startDev(project: string, args: string[] = []) {
  const child = spawn(process.execPath, [THUMBCTL_BIN, 'dev', '--json', '--state-dir', join(project, '.state'), ...args], {
    cwd: project,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', THUMBCTL_TARGET: undefined, THUMBCTL_LOCAL_FAULTS: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  const builds: DevLine[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n').filter((line) => line.trim() !== '');
    while (builds.length < complete.length) builds.push(JSON.parse(complete[builds.length]!) as DevLine);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const until = async (check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (child.exitCode !== null) throw new Error(`dev exited (${child.exitCode}) before ${what}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return {
    child,
    exited,
    builds,
    stdout: () => stdout,
    stderr: () => stderr,
    ready: () => until(() => /watching /.test(stderr), 'ready line', 240_000),
    /** Writes the file (a save) and resolves with the build it caused. */
    async save(file: string, text: string): Promise<DevLine> {
      const count = builds.length;
      writeFileSync(file, text);
      await until(() => builds.length > count, `build after saving ${file}`);
      return builds[builds.length - 1]!;
    },
  };
}

const RESIZE = '.resize(request.width, request.height, {';
/** The first statement of the single-pipeline thumbnail: a throw before it fails every sized upload. */
const READ_HEADER = 'const { info: source } = await readHeader(input, limits, imaging);';

describe('thumbctl dev', () => {
  it('rebuilds, deploys and replays on each save; a syntax error and a runtime error are reported and it keeps watching; SIGINT ends it cleanly', async () => {
    // Prepare
    const project = tempDir('dev');
    assert.equal((await thumbctl(project, ['eject'])).code, 0);
    const file = join(project, 'thumbnailer', 'thumbnail.ts');
    const original = readFileSync(file, 'utf8');
    assert.ok(original.includes(RESIZE));
    const halved = original.replace(RESIZE, '.resize(request.width, Math.round(request.height / 2), {');
    const dev = startDev(project);
    await dev.ready();
    assert.match(dev.stderr(), /replaying s3:\/\/\S+\/canyon-400x400\.jpg \(sample\)/);

    // Act and assess, save by save.
    const cropped = await dev.save(file, halved);
    for (const key of ['build', 'deployMs', 'e2eMs', 'thumbnail', 'error']) assert.ok(key in cropped, `missing ${key}: ${JSON.stringify(cropped)}`);
    assert.equal(cropped.build, 1);
    assert.equal(cropped.error, null, JSON.stringify(cropped));
    assert.deepEqual([cropped.thumbnail?.width, cropped.thumbnail?.height], [400, 200], 'the new crop ran');
    assert.ok(typeof cropped.deployMs === 'number' && cropped.deployMs > 0 && typeof cropped.e2eMs === 'number' && cropped.e2eMs > 0, JSON.stringify(cropped));

    const syntax = await dev.save(file, `${halved}\nexport const = ;\n`);
    assert.equal(syntax.build, 2);
    assert.equal(syntax.stage, 'build');
    assert.match(syntax.error ?? '', /thumbnail\.ts:\d+:\d+: Expected identifier/);
    assert.deepEqual([syntax.deployMs, syntax.e2eMs, syntax.thumbnail], [null, null, null]);
    assert.equal(syntax.codeSha256, cropped.codeSha256, 'the last good code stays deployed');

    assert.ok(halved.includes(READ_HEADER));
    const thrown = await dev.save(file, halved.replace(READ_HEADER, `if (request.width > 0) throw new Error('dev test: boom');\n  ${READ_HEADER}`));
    assert.equal(thrown.build, 3);
    assert.equal(thrown.stage, 'run', JSON.stringify(thrown));
    assert.match(thrown.error ?? '', /dev test: boom/);
    assert.equal(thrown.thumbnail, null);
    assert.notEqual(thrown.codeSha256, cropped.codeSha256, 'code that fails at run time is deployed (it built)');

    const fixed = await dev.save(file, halved);
    assert.equal(fixed.build, 4);
    assert.equal(fixed.error, null, JSON.stringify(fixed));
    assert.deepEqual([fixed.thumbnail?.width, fixed.thumbnail?.height], [400, 200]);

    dev.child.kill('SIGINT');
    const { code } = await dev.exited;
    assert.equal(code, 0, dev.stderr());
    assert.equal(dev.builds.length, 4, 'one JSON object per build, nothing else on stdout');
    assert.doesNotMatch(dev.stderr(), /\n\s+at /, 'no stack trace');

    // The cloud and the last good deployment are as they were: the function runs the code of build 4.
    const serve = await startLocalServe(['--port', '0', '--state-dir', join(project, '.state')], { timeoutMs: 30_000 });
    try {
      const lambda = new LambdaClient({ region: 'us-east-1', endpoint: serve.endpoint, credentials: { ...LOCAL_CREDENTIALS } });
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'thumbctl-thumbnailer' }));
      assert.equal(fn.Configuration?.CodeSha256, fixed.codeSha256);
      lambda.destroy();
    } finally {
      await serve.stop();
    }
  });

  it('--no-replay builds and deploys only; a save that leaves the bundle as it was deploys nothing; status then sees no drift', async () => {
    const project = tempDir('dev-no-replay');
    assert.equal((await thumbctl(project, ['eject'])).code, 0);
    const entry = join(project, 'thumbnailer', 'handler.ts');
    const helper = join(project, 'thumbnailer', 'key.ts');
    const dev = startDev(project, ['--no-replay']);
    await dev.ready();
    assert.doesNotMatch(dev.stderr(), /replaying/);
    // An export of the entry stays in the bundle: new code.
    const build = await dev.save(entry, `${readFileSync(entry, 'utf8')}\nexport const SAVED = 1;\n`);
    assert.equal(build.error, null, JSON.stringify(build));
    assert.ok(typeof build.deployMs === 'number' && build.deployMs > 0);
    assert.deepEqual([build.e2eMs, build.thumbnail], [null, null]);
    // An unused export of another module is dropped by the bundler: the same zip, byte for byte, so not redeployed.
    const same = await dev.save(helper, `${readFileSync(helper, 'utf8')}\nexport const UNUSED = 1;\n`);
    assert.equal(same.error, null, JSON.stringify(same));
    assert.equal(same.deployMs, 0, JSON.stringify(same));
    assert.equal(same.codeSha256, build.codeSha256);
    dev.child.kill('SIGINT');
    assert.equal((await dev.exited).code, 0, dev.stderr());

    // dev zipped what setup zips: the sources as saved are what status expects the function to run.
    const status = await thumbctl(project, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const document = status.json() as { inSync: boolean; resources: { kind?: string; state: string; drift?: unknown }[] };
    assert.deepEqual(document.resources.filter((resource) => resource.state !== 'present'), [], status.stdout);
    assert.equal(document.inSync, true);
  });

  it('replays an upload without a size as every configured variant, each read back', async () => {
    // Prepare: two variants in the config file eject wrote, and an upload that names no size.
    const project = tempDir('dev-variants');
    assert.equal((await thumbctl(project, ['eject'])).code, 0);
    const configFile = join(project, 'thumbctl.config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, variants: [{ name: 'thumb', size: '120x120' }, { name: 'card', size: '160x90', format: 'webp' }] }));
    const setupResult = await thumbctl(project, ['setup']);
    assert.equal(setupResult.code, 0, setupResult.stderr);
    const upload = await thumbctl(project, ['upload', samplePhotoPath()]);
    assert.equal(upload.code, 0, upload.stderr);
    const file = join(project, 'thumbnailer', 'handler.ts');
    // Act
    const dev = startDev(project);
    await dev.ready();
    assert.match(dev.stderr(), /replaying s3:\/\/\S+\/canyon\.jpg \(last upload\)/);
    const build = (await dev.save(file, `${readFileSync(file, 'utf8')}\nexport const SAVED = 1;\n`)) as DevLine & { variants: { name: string; width: number; height: number; contentType: string }[] | null };
    dev.child.kill('SIGINT');
    assert.equal((await dev.exited).code, 0, dev.stderr());
    // Assess
    assert.equal(build.error, null, JSON.stringify(build));
    assert.deepEqual(
      build.variants?.map((variant) => [variant.name, variant.width, variant.height, variant.contentType]),
      [
        ['thumb', 120, 120, 'image/jpeg'],
        ['card', 160, 90, 'image/webp'],
      ],
    );
    assert.deepEqual([build.thumbnail?.width, build.thumbnail?.height], [120, 120]);
  });

  it('--image FILE --size WxH replays that image at that size, uploaded once at start', async () => {
    const project = tempDir('dev-image');
    assert.equal((await thumbctl(project, ['eject'])).code, 0);
    const file = join(project, 'thumbnailer', 'thumbnail.ts');
    const dev = startDev(project, ['--image', samplePhotoPath(), '--size', '200x150']);
    await dev.ready();
    assert.match(dev.stderr(), /replaying s3:\/\/\S+\/canyon-200x150\.jpg \(image\)/);
    const build = await dev.save(file, readFileSync(file, 'utf8').replace(RESIZE, '.resize(request.width, Math.round(request.height / 2), {'));
    assert.equal(build.error, null, JSON.stringify(build));
    assert.deepEqual([build.thumbnail?.width, build.thumbnail?.height], [200, 75]);
    dev.child.kill('SIGINT');
    assert.equal((await dev.exited).code, 0, dev.stderr());
  });

  it('refuses bad usage with one line and exit 2, touching nothing', async () => {
    const project = tempDir('dev-usage');
    for (const [args, pattern] of [
      [['--no-replay', '--image', 'photo.jpg'], /--image and --size choose what to replay/],
      [['--image', join(project, 'missing.jpg')], /--image: file not found/],
      [['--size', '0x10'], /size/i],
      [['--target', 'aws'], /dev runs on the local cloud only/],
    ] as const) {
      const result = await thumbctl(project, ['dev', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.throws(() => readFileSync(join(project, '.state', 'state.db')), 'no local cloud was started');
  });
});
