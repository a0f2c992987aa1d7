// Reads a CreateFunction or UpdateFunctionCode body that carries its package inline (ZipFile: base64 text, up to
// 70 MB) without decoding the whole body as UTF-8 and having JSON.parse copy the base64 text into a string: the
// text is decoded straight from the request's bytes, and only the rest of the body goes through JSON.parse. The
// answer is the one the plain parse gives, or none (then the caller parses the plain way): it does not judge JSON.
import { randomBytes } from 'node:crypto';

/** Below this a body is parsed the plain way: the copies saved would not pay for the checks. */
export const INLINE_ZIP_MIN_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

/**
 * The body parsed, with the member at `path` (ZipFile, or Code.ZipFile) already decoded from base64, or undefined
 * when the body is not one this can read exactly as JSON.parse would (then parse it the plain way).
 *
 * The member's text is taken to be the bytes between `"ZipFile":"` and the next quote; the rest of the body, with
 * those bytes replaced by a random token, must parse and hold the token at `path` (so the bytes were that member's
 * whole value, and the only one: a duplicate key, or the same characters inside another string, would not hold it).
 * The text must be plain base64: a backslash (a JSON escape), a control character, a non-ASCII byte or any other
 * character the base64 decoder skips makes the decoded length fall short of what the text's length promises, and
 * the plain parse then decides (JSON's own errors for what JSON refuses).
 *
 * @param parse - the protocol's JSON parse of a body (its errors are the service's)
 */
export function parseWithInlineZip(body: Buffer, path: readonly string[], parse: (body: Buffer) => Record<string, unknown>): { input: Record<string, unknown>; zip: Buffer } | undefined {
  if (body.length < INLINE_ZIP_MIN_BYTES || path.length === 0) return undefined;
  const opening = Buffer.from(`"${path[path.length - 1]}":"`);
  const openedAt = body.indexOf(opening);
  if (openedAt < 0) return undefined;
  const start = openedAt + opening.length;
  const end = body.indexOf(QUOTE, start);
  if (end < 0) return undefined;
  const backslash = body.indexOf(BACKSLASH, start);
  if (backslash >= 0 && backslash < end) return undefined;

  // Plain base64 of n bytes is 4·ceil(n/3) characters, the last group padded with '='; unpadded text is accepted
  // too. A length that leaves one character over (4k+1 without padding) is no base64 at all.
  let textEnd = end;
  while (textEnd > start && textEnd > end - 2 && body[textEnd - 1] === EQUALS) textEnd--;
  const characters = textEnd - start;
  if (characters % 4 === 1) return undefined;
  const zip = Buffer.from(body.toString('latin1', start, end), 'base64');
  if (zip.length !== Math.floor((characters * 3) / 4)) return undefined;

  const token = `inline-zip-${randomBytes(16).toString('hex')}`;
  let input: Record<string, unknown>;
  try {
    input = parse(Buffer.concat([body.subarray(0, start), Buffer.from(token), body.subarray(end)]));
  } catch {
    return undefined;
  }
  let holder: unknown = input;
  for (const key of path.slice(0, -1)) holder = typeof holder === 'object' && holder !== null && !Array.isArray(holder) ? (holder as Record<string, unknown>)[key] : undefined;
  if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return undefined;
  const member = path[path.length - 1]!;
  if (!Object.hasOwn(holder, member) || (holder as Record<string, unknown>)[member] !== token) return undefined;
  return { input, zip };
}
