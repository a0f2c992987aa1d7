// File helpers the commands share.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes `content` to `file` atomically: a temporary file in the same folder, then a rename over the target.
 * A reader never sees half a file, and a failure leaves none. Returns the absolute path written.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<string> {
  const target = resolve(file);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { encoding: 'utf8', flag: 'wx' });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}
