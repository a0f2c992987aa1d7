// The state directory's lock under a race: after a kill -9 leaves a stale record behind, many starters released
// at the same instant must produce exactly one server; every other one is refused with the holder's pid and
// endpoint (never an empty one), and `thumbctl local serve` says so in one line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { runThumbctl, startLocalServe } from '../../helpers/thumbctl.js';

const RACER = fileURLToPath(new URL('../../fixtures/robustness/lock-racer.mjs', import.meta.url));
const LOCK_ONLY_RACER = fileURLToPath(new URL('../../fixtures/robustness/lock-only-racer.mjs', import.meta.url));
const LOCK_ONLY_TRIALS = 15;
const CONTENDERS = 12;
const TRIALS = 3;

const stateDirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

type RaceLine = { ready?: true; held?: boolean; endpoint?: string; pid?: number; holder?: { pid: number; endpoint: string }; error?: string };

interface Racer {
  child: ChildProcess;
  /** Resolves with the next JSON line the racer prints. */
  nextLine(): Promise<RaceLine>;
}

function spawnRacer(stateDir: string, goFile: string): Racer {
  const child = spawn(process.execPath, [RACER, stateDir, goFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: RaceLine[] = [];
  const waiters: ((line: RaceLine) => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, newline)) as RaceLine;
      buffered = buffered.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  // 'close', not 'exit': only then has everything the racer printed been read.
  child.once('close', () => {
    for (const waiter of waiters.splice(0)) waiter({ error: `exited without a line: ${stderr.slice(0, 2000)}` });
  });
  return {
    child,
    nextLine: () => {
      const line = lines.shift();
      if (line) return Promise.resolve(line);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('the state directory lock', () => {
  it(`gives the directory to exactly one of ${CONTENDERS} starters racing after a kill -9, ${TRIALS} times`, { timeout: 240_000 }, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      // Prepare: a holder killed with -9, so its record stays behind naming a dead process.
      const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-lock-'));
      stateDirs.push(stateDir);
      const firstGo = join(stateDir, '..', `${stateDir.split('/').pop()}-go-first`);
      writeFileSync(firstGo, '');
      const first = spawnRacer(stateDir, firstGo);
      assert.deepEqual(await first.nextLine(), { ready: true });
      const firstResult = await first.nextLine();
      assert.equal(firstResult.held, true, JSON.stringify(firstResult));
      await kill9(first.child);
      rmSync(firstGo, { force: true });

      // Act: every contender loaded and waiting, then all released at once.
      const go = join(tmpdir(), `${stateDir.split('/').pop()}-go`);
      const racers = Array.from({ length: CONTENDERS }, () => spawnRacer(stateDir, go));
      for (const racer of racers) assert.deepEqual(await racer.nextLine(), { ready: true });
      writeFileSync(go, '');
      const results = await Promise.all(racers.map((racer) => racer.nextLine()));
      rmSync(go, { force: true });

      // Assess
      const holders = results.filter((result) => result.held === true);
      assert.equal(holders.length, 1, `exactly one holder in trial ${trial + 1}: ${JSON.stringify(results)}`);
      const holder = holders[0]!;
      assert.match(holder.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      for (const result of results.filter((entry) => entry !== holder)) {
        assert.equal(result.held, false, JSON.stringify(result));
        assert.deepEqual(result.holder, { pid: holder.pid, endpoint: holder.endpoint }, 'a refusal names the holder, with its endpoint');
      }
      const holderRacer = racers[results.indexOf(holder)]!;
      holderRacer.child.stdin!.end();
      await new Promise((resolve) => holderRacer.child.once('exit', resolve));
    }
  });

  it(`gives the lock alone to exactly one of ${CONTENDERS} contenders on a directory a killed holder left, ${LOCK_ONLY_TRIALS} times`, { timeout: 240_000 }, async () => {
    // Each contender takes SQLite's SHARED lock on its way to EXCLUSIVE, which fails every other's: one attempt
    // each could leave all of them refused and nobody holding the directory (seen 1 trial in 15).
    /** Spawns a contender; resolves with it once it says it is ready, and gives its next line. */
    async function contender(stateDir: string, goFile: string): Promise<{ child: ChildProcess; result: Promise<string> }> {
      const child = spawn(process.execPath, [LOCK_ONLY_RACER, stateDir, goFile], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      let output = '';
      const ready = new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => ((output += chunk.toString()), output.startsWith('ready\n') && resolve())));
      const result = new Promise<string>((resolve) => {
        const check = (): void => {
          const line = output.split('\n')[1];
          if (line) resolve(line);
        };
        child.stdout!.on('data', check);
        child.once('close', () => resolve(output.split('\n')[1] || `exited: ${output}`));
      });
      await ready;
      return { child, result };
    }
    for (let trial = 0; trial < LOCK_ONLY_TRIALS; trial++) {
      // Prepare: a holder killed with -9.
      const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-lock-only-'));
      stateDirs.push(stateDir);
      writeFileSync(`${stateDir}.go-first`, '');
      const first = await contender(stateDir, `${stateDir}.go-first`);
      assert.equal(await first.result, 'held');
      await kill9(first.child);
      rmSync(`${stateDir}.go-first`, { force: true });

      // Act: all contenders released at once.
      const contenders = await Promise.all(Array.from({ length: CONTENDERS }, () => contender(stateDir, `${stateDir}.go`)));
      writeFileSync(`${stateDir}.go`, '');
      const results = await Promise.all(contenders.map((entry) => entry.result));
      rmSync(`${stateDir}.go`, { force: true });
      for (const entry of contenders) entry.child.stdin!.end();
      await Promise.all(contenders.map((entry) => new Promise((resolve) => (entry.child.exitCode === null ? entry.child.once('exit', resolve) : resolve(undefined)))));

      // Assess
      assert.deepEqual(
        { held: results.filter((line) => line === 'held').length, lost: results.filter((line) => line === 'lost').length },
        { held: 1, lost: CONTENDERS - 1 },
        `trial ${trial + 1}: ${results.join(', ')}`,
      );
    }
  });

  it('refuses a second `local serve` on the same directory in one line naming the first', { timeout: 60_000 }, async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'thumbctl-lock-serve-'));
    stateDirs.push(stateDir);
    const served = await startLocalServe(['--port', '0', '--state-dir', stateDir]);
    children.push(served.child);
    try {
      const second = await runThumbctl(['local', 'serve', '--port', '0', '--state-dir', stateDir], { timeoutMs: 30_000 });
      assert.notEqual(second.code, 0);
      const lines = second.stderr.trim().split('\n');
      assert.equal(lines.length, 1, second.stderr);
      assert.equal(lines[0], `thumbctl: a local cloud is already running for ${stateDir} at ${served.endpoint} (pid ${served.child.pid})`);
    } finally {
      await served.stop();
    }
  });
});
