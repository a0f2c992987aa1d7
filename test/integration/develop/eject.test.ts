// `thumbctl eject` and a function directory through the real CLI (the compiled dist/, run `npm run build` first):
// the copy and the config file, a changed crop that setup deploys and the thumbnail shows, status's drift by code
// hash, and a directory that does not build: the bundler's first error on one line, exit 2, nothing deployed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { samplePhotoPath } from '../../../cli/core/paths.js';
import { runThumbctl, type ThumbctlResult } from '../../helpers/thumbctl.js';

const directories: string[] = [];

function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `thumbctl-${tag}-`));
  directories.push(dir);
  return dir;
}

after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** thumbctl in `project` (its config file is ./thumbctl.config.json there), on its own local cloud. */
function thumbctl(project: string, args: string[]): Promise<ThumbctlResult> {
  return runThumbctl([...args, '--state-dir', join(project, '.state')], { cwd: project, env: { THUMBCTL_LOCAL_FAULTS: undefined }, timeoutMs: 240_000 });
}

/** The single-pipeline resize of a key with a size, with the crop made half as tall. */
function halveCropHeight(project: string): () => void {
  const file = join(project, 'thumbnailer', 'thumbnail.ts');
  const source = readFileSync(file, 'utf8');
  const original = '.resize(request.width, request.height, {';
  assert.ok(source.includes(original), 'the ejected thumbnail.ts has the resize this test changes');
  writeFileSync(file, source.replace(original, '.resize(request.width, Math.round(request.height / 2), {'));
  return () => writeFileSync(file, source);
}

describe('thumbctl eject', () => {
  it('copies the function and records functionDir; a changed crop is what setup deploys and the thumbnail shows', async () => {
    // Prepare
    const project = tempDir('eject');
    const ejected = await thumbctl(project, ['eject', '--json']);
    assert.equal(ejected.code, 0, ejected.stderr);
    const document = ejected.json();
    assert.ok(document.files.includes('handler.ts') && document.files.includes('thumbnail.ts') && document.files.includes('package.json'), JSON.stringify(document));
    assert.deepEqual(JSON.parse(readFileSync(join(project, 'thumbctl.config.json'), 'utf8')), { functionDir: 'thumbnailer' });
    const manifest = JSON.parse(readFileSync(join(project, 'thumbnailer', 'package.json'), 'utf8'));
    assert.ok(manifest.dependencies.sharp, 'sharp is pinned');
    const undoCrop = halveCropHeight(project);

    // Act
    const setup = await thumbctl(project, ['setup', '--json']);
    assert.equal(setup.code, 0, setup.stderr);
    const upload = await thumbctl(project, ['upload', samplePhotoPath(), '400x400', '--json']);

    // Assess
    assert.equal(upload.code, 0, upload.stderr);
    assert.deepEqual([upload.json().width, upload.json().height], [400, 200], 'the ejected crop, not the bundled 400x400');

    // Status sees the function directory's code as deployed; a further change is drift by code hash.
    const clean = await thumbctl(project, ['status', '--json']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.json().resources.find((resource: { type: string }) => resource.type === 'function').state, 'present', clean.stdout);
    undoCrop();
    const drifted = await thumbctl(project, ['status', '--json']);
    const fn = drifted.json().resources.find((resource: { type: string }) => resource.type === 'function');
    assert.equal(fn.state, 'drifted', drifted.stdout);
    assert.notEqual(fn.desired.codeSha256, fn.actual.codeSha256);
    assert.ok(JSON.stringify(fn.drift).includes('codeSha256'), JSON.stringify(fn.drift));
  });

  it('refuses a directory that is not empty, writing nothing', async () => {
    const project = tempDir('eject-full');
    mkdirSync(join(project, 'thumbnailer'));
    writeFileSync(join(project, 'thumbnailer', 'mine.txt'), 'keep me');
    const result = await thumbctl(project, ['eject']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /not empty/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(readFileSync(join(project, 'thumbnailer', 'mine.txt'), 'utf8'), 'keep me');
    assert.throws(() => readFileSync(join(project, 'thumbctl.config.json')), 'no config file written');
  });

  it('a function directory that does not build: its first error on one line, exit 2, nothing deployed', async () => {
    const project = tempDir('eject-broken');
    assert.equal((await thumbctl(project, ['eject'])).code, 0);
    const file = join(project, 'thumbnailer', 'thumbnail.ts');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}\nexport const = ;\n`);
    for (const command of ['setup', 'status']) {
      const result = await thumbctl(project, [command]);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      const lines = result.stderr.split('\n').filter((line) => /thumbnail\.ts/.test(line));
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /thumbnailer\/thumbnail\.ts:\d+:\d+: Expected identifier/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    // Nothing was created: with the code fixed, status finds every resource absent.
    writeFileSync(file, good);
    const status = await thumbctl(project, ['status', '--json']);
    for (const resource of status.json().resources as { type: string; state: string }[]) {
      if (resource.type !== 'package') assert.equal(resource.state, 'absent', JSON.stringify(resource));
    }
  });
});
