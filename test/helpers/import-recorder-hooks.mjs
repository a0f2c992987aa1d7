// The hook import-recorder.mjs registers (it runs on the loader's own thread): one line per module loaded.
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (process.env.THUMBCTL_TEST_IMPORT_LOG) appendFileSync(process.env.THUMBCTL_TEST_IMPORT_LOG, `${url}\n`);
  return nextLoad(url, context);
}
