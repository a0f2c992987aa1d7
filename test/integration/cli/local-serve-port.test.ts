// `local serve` on a port another program holds: one clear line naming the port and the way out, exit 2, nothing
// left behind (the state directory's lock is released, so the next serve starts).
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runThumbctl } from '../../helpers/thumbctl.js';

let holder: Server;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'thumbctl-port-'));

before(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as { port: number }).port;
});
after(async () => {
  await new Promise((resolve) => holder.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('local serve on a taken port', () => {
  it('says so in one line with the way out, exits 2, and releases the state directory', async () => {
    const result = await runThumbctl(['local', 'serve', '--port', String(port), '--state-dir', dir], { timeoutMs: 60_000 });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, new RegExp(`^thumbctl: port ${port} on 127\\.0\\.0\\.1 is already taken .*--port`));
    assert.equal(existsSync(join(dir, 'server.json')), false, 'no lock left behind');
  });
});
