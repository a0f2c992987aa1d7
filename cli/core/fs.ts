// File helpers the commands share.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExitCode, UserError } from '../output.js';

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

/**
 * Checks, before any work is done, that `file` can be written by `flag` (`--out`, `--html`): its folder exists and
 * is writable, and it is not itself a folder. A mistyped path then fails at once, in one line, not after the upload
 * or the trace fetch it was meant to save.
 * @returns the absolute path
 */
export async function checkWritableFile(file: string, flag: string): Promise<string> {
  const path = resolve(file);
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw new UserError(`${flag}: ${path} is a directory`, ExitCode.usage);
  const parent = dirname(path);
  if (!(await stat(parent).catch(() => undefined))?.isDirectory()) throw new UserError(`${flag}: directory ${parent} does not exist`, ExitCode.usage);
  await access(parent, constants.W_OK).catch(() => {
    throw new UserError(`${flag}: directory ${parent} is not writable`, ExitCode.usage);
  });
  return path;
}
