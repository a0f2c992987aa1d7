// A minimal zip writer for hostile packages that no archiving library will make: names with `..`, absolute and
// backslash paths, symlinks, encrypted flags, sizes that lie, 50,001 entries, and a 250 MB run of zeros deflated
// to a few hundred KB without ever holding it in memory. Test support only; it writes what it is told.
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

export interface HostileEntry {
  name: string;
  data?: Buffer;
  /** Already-deflated content (for bombs): the bytes, their CRC-32 and real size. */
  deflated?: { data: Buffer; crc: number; size: number };
  /** Unix mode; a symlink is `0o120777` with the target as data. */
  mode?: number;
  /** Sets the "encrypted" flag without encrypting anything. */
  encrypted?: boolean;
  /** Uncompressed size to declare instead of the real one (a lie). */
  declaredSize?: number;
}

/** Builds a zip archive, entry by entry, exactly as described. */
export function buildZip(entries: HostileEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    let method = 0;
    let content: Buffer;
    let crc: number;
    let size: number;
    if (entry.deflated) {
      method = 8;
      content = entry.deflated.data;
      crc = entry.deflated.crc;
      size = entry.deflated.size;
    } else {
      const data = entry.data ?? Buffer.alloc(0);
      crc = crc32(data);
      size = data.length;
      content = data.length > 64 ? deflateRawSync(data) : data;
      method = content === data ? 0 : 8;
    }
    const declared = entry.declaredSize ?? size;
    const flags = 0x0800 | (entry.encrypted ? 0x0001 : 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(content.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode in the external attributes counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(content.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, content);
    centrals.push(central, name);
    offset += local.length + name.length + content.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** `size` zero bytes deflated (about 1,000:1), streamed so the zeros never exist in memory at once. */
export function deflatedZeros(size: number): Promise<{ data: Buffer; crc: number; size: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20);
    const deflate = createDeflateRaw({ level: 9 });
    const out: Buffer[] = [];
    let crc = 0;
    let written = 0;
    deflate.on('data', (data: Buffer) => out.push(data));
    deflate.on('end', () => resolve({ data: Buffer.concat(out), crc, size }));
    deflate.on('error', reject);
    const pump = (): void => {
      while (written < size) {
        const part = size - written >= chunk.length ? chunk : chunk.subarray(0, size - written);
        crc = crc32(part, crc);
        written += part.length;
        if (!deflate.write(part)) {
          deflate.once('drain', pump);
          return;
        }
      }
      deflate.end();
    };
    pump();
  });
}
