// Loaded with `node --import` (through NODE_OPTIONS) into a thumbctl child process: registers a module hook
// that appends the URL of every ES module the process loads to the file named in THUMBCTL_TEST_IMPORT_LOG.
// Evidence of what a command line loads, for the tests that keep `--help` and `--version` light.
import { register } from 'node:module';

register('./import-recorder-hooks.mjs', import.meta.url);
