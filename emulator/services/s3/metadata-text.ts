// User metadata (`x-amz-meta-*`) values as S3 stores and returns them: AWS documents that it decodes RFC 2047
// encoded words before storing and RFC 2047-encodes values that are not plain US-ASCII before returning them.
// Only header text: which headers are user metadata, and their size limit, are request.ts's concern.
//
// Hand-written rather than taken from a MIME library because the answer must be AWS's exactly: its choice of Q or
// B and of what Q escapes is that of JavaMail's MimeUtility.encodeText (checked against LocalStack's recordings of
// AWS, test_user_metadata_rfc2047_encoded), which general-purpose encoders do not make.

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** What an encoded word may hold: JavaMail's 75 characters less `=?UTF-8?Q?` and `?=` and the charset's length. */
const ENCODED_WORD_ROOM = 68 - 'UTF-8'.length;
/** Characters Q encoding escapes in text (not in a phrase): JavaMail's TEXT_SPECIALS. */
const Q_SPECIALS = '=_?';

/**
 * A header value as S3 reads it: the bytes as UTF-8 when they are UTF-8 (what AWS's SDKs and botocore send),
 * else as ISO-8859-1 (what HTTP allows, and all a Node client can send); then decoded if RFC 2047-encoded.
 * @param latin1 - the value as the HTTP parser gives it, one character per byte
 */
export function readMetadataValue(latin1: string): string {
  return decodeEncodedWords(asUtf8WhenUtf8(latin1));
}

/**
 * A stored value as S3 returns it: as is when it is plain US-ASCII, else as RFC 2047 encoded words in UTF-8,
 * Q when most characters are ASCII and B otherwise (JavaMail's rule, which AWS's answers follow:
 * `ÄMÄZÕÑ S3` comes back as `=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=`, four control bytes as `=?UTF-8?B?AAECAw==?=`).
 * CR and LF count as non-ASCII here, unlike JavaMail's rule, since an HTTP header cannot carry them.
 */
export function writeMetadataValue(value: string): string {
  let ascii = 0;
  let other = 0;
  for (let index = 0; index < value.length; index++) {
    if (needsEncoding(value.charCodeAt(index))) other++;
    else ascii++;
  }
  if (other === 0) return value;
  const base64 = ascii <= other;
  const words: string[] = [];
  encodeWords(value, base64, words);
  return words.join(' ');
}

/** JavaMail's "non-ASCII": DEL and above, and controls but TAB (and here CR and LF too). */
function needsEncoding(code: number): boolean {
  return code >= 0x7f || (code < 0x20 && code !== 0x09);
}

/** JavaMail's doEncode: a string too long for one encoded word is halved (never inside a surrogate pair) until each half fits. */
function encodeWords(text: string, base64: boolean, words: string[]): void {
  const bytes = Buffer.from(text, 'utf8');
  const length = base64 ? Math.ceil(bytes.length / 3) * 4 : qEncodedLength(bytes);
  if (length > ENCODED_WORD_ROOM && text.length > 1) {
    let split = Math.floor(text.length / 2);
    const before = text.charCodeAt(split - 1);
    if (before >= 0xd800 && before <= 0xdbff) split--;
    if (split > 0) encodeWords(text.slice(0, split), base64, words);
    encodeWords(text.slice(split), base64, words);
    return;
  }
  words.push(`=?UTF-8?${base64 ? 'B' : 'Q'}?${base64 ? bytes.toString('base64') : qEncode(bytes)}?=`);
}

function qEscaped(byte: number): boolean {
  return byte < 0x20 || byte >= 0x7f || Q_SPECIALS.includes(String.fromCharCode(byte));
}

function qEncodedLength(bytes: Buffer): number {
  let length = 0;
  for (const byte of bytes) length += byte !== 0x20 && qEscaped(byte) ? 3 : 1;
  return length;
}

function qEncode(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x20) out += '_';
    else if (qEscaped(byte)) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

function asUtf8WhenUtf8(latin1: string): string {
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  try {
    return UTF8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
}

const ENCODED_WORD = /^=\?([^?*\s]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=$/;

/**
 * RFC 2047 decoding as JavaMail's decodeText does it: each whitespace-separated token that is an encoded word in a
 * known charset is decoded, the whitespace between two encoded words dropped; anything else is kept as it is.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let space = '';
  let afterWord = false;
  for (const token of value.split(/(\s+)/)) {
    if (token === '') continue;
    if (/^\s+$/.test(token)) {
      space += token;
      continue;
    }
    const decoded = decodeWord(token);
    out += (decoded !== undefined && afterWord ? '' : space) + (decoded ?? token);
    afterWord = decoded !== undefined;
    space = '';
  }
  return out + space;
}

function decodeWord(token: string): string | undefined {
  const match = ENCODED_WORD.exec(token);
  if (!match) return undefined;
  const [, charset, encoding, text] = match as unknown as [string, string, string, string];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset.toLowerCase());
  } catch {
    return undefined;
  }
  if (encoding.toUpperCase() === 'B') return decoder.decode(Buffer.from(text, 'base64'));
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '_') bytes.push(0x20);
    else if (character === '=') {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else bytes.push(character.charCodeAt(0) & 0xff);
  }
  return decoder.decode(Buffer.from(bytes));
}
