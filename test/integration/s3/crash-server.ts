// A local cloud in its own process, for the crash test to kill -9: starts on the state directory given
// as the first argument and prints one JSON line with its endpoint, then serves until killed.
import { startLocalCloud } from '../../../emulator/server.js';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: crash-server.ts <state-dir>\n');
  process.exit(2);
}
const cloud = await startLocalCloud({ stateDir, stateDelayMs: 0 });
process.stdout.write(`${JSON.stringify({ endpoint: cloud.endpoint })}\n`);
