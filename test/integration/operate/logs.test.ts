// `thumbctl logs` against a real local cloud: the function's own lines after an upload, --since and --filter,
// --json lines, --follow ended by Ctrl-C, and the answers for a bad duration and a function that never ran.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { THUMBCTL_BIN } from '../../helpers/thumbctl.js';
import { SAMPLE_PHOTO, startOperateCloud, writeCorruptImage, type OperateCloud } from './support.js';

let cloud: OperateCloud;

before(async () => {
  cloud = await startOperateCloud('logs');
  const good = await cloud.thumbctl(['upload', SAMPLE_PHOTO, '80x80']);
  assert.equal(good.code, 0, good.stderr);
  const bad = await cloud.thumbctl(['upload', writeCorruptImage(cloud.dir), '80x80']);
  assert.equal(bad.code, 1, bad.stderr);
});

after(async () => {
  await cloud?.close();
});

interface JsonLine {
  timestamp: number;
  time: string;
  stream: string;
  message: string;
  eventId: string;
}

const jsonLines = (stdout: string): JsonLine[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JsonLine);

describe('thumbctl logs', () => {
  it('prints the events as JSON lines with --json', async () => {
    const result = await cloud.thumbctl(['logs', '--since', '10m', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const events = jsonLines(result.stdout);
    assert.ok(events.length >= 6, `${events.length} events`);
    for (const event of events) {
      assert.deepEqual(Object.keys(event).sort(), ['eventId', 'message', 'stream', 'time', 'timestamp']);
      assert.equal(new Date(event.timestamp).toISOString(), event.time);
    }
    assert.ok(events.some((event) => event.message.includes('thumbnail created') && event.message.includes('canyon-80x80.jpg')));
    assert.ok(events.some((event) => event.message.startsWith('REPORT RequestId:')));
    assert.equal(new Set(events.map((event) => event.eventId)).size, events.length, 'no event twice');
  });

  it('keeps only the events matching --filter', async () => {
    const result = await cloud.thumbctl(['logs', '--since', '10m', '--filter', '"thumbnail rejected"', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const events = jsonLines(result.stdout);
    assert.equal(events.length, 1);
    assert.match(events[0]!.message, /corrupt-80x80\.jpg/);
  });

  it('lays the events out for people: time, stream, JSON pretty-printed, errors and REPORT lines marked', async () => {
    const result = await cloud.thumbctl(['logs', '--since', '10m']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\d\d:\d\d:\d\d\.\d{3} [0-9a-f]{7} INFO  thumbnail created\n\s+\{\n[^}]*"key": "canyon-80x80\.jpg"/m);
    assert.match(result.stdout, /^\d\d:\d\d:\d\d\.\d{3} [0-9a-f]{7} !! ERROR thumbnail rejected: corrupt-80x80\.jpg/m);
    assert.match(result.stdout, /^\d\d:\d\d:\d\d\.\d{3} [0-9a-f]{7} -- REPORT RequestId: /m);
  });

  it('shows nothing older than --since', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const json = await cloud.thumbctl(['logs', '--since', '1s', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout.trim(), '', 'no JSON lines');
    const text = await cloud.thumbctl(['logs', '--since', '1s']);
    assert.equal(text.stdout.trim(), '');
    assert.match(text.stderr, /no log events for .* in the last 1s/);
  });

  it('refuses a bad --since with exit code 2', async () => {
    for (const since of ['10', 'ten minutes', '5x', '0m']) {
      const result = await cloud.thumbctl(['logs', '--since', since]);
      assert.equal(result.code, 2, since);
      assert.match(result.stderr, /--since .* must be a duration like 30s, 10m, 2h or 1d/);
    }
  });

  it('says the function has not run yet when it has no log group, and exits 0', async () => {
    const result = await cloud.thumbctl(['logs', '--function-name', 'never-ran']);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /no logs yet for never-ran: has it run\?/);
  });

  it('refuses a filter pattern CloudWatch cannot read, with exit code 2', async () => {
    const result = await cloud.thumbctl(['logs', '--filter', '[ip, user']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--filter .* is not a CloudWatch Logs filter pattern/);
  });

  it('follows until Ctrl-C, then exits 0', async () => {
    // Act: follow, then interrupt once the existing events are printed.
    const child = spawn(process.execPath, [THUMBCTL_BIN, 'logs', ...cloud.flags, '--since', '10m', '--follow', '--json'], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('REPORT RequestId') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // Another poll or two: nothing may be printed twice.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    // Assess
    assert.equal(code, 0, stderr);
    const events = jsonLines(stdout);
    assert.ok(events.length >= 6);
    assert.equal(new Set(events.map((event) => event.eventId)).size, events.length, 'each event once');
  });
});
