// `dev`'s package made as `setup` makes it (zipDeterministic: archiver, deflated, entries sorted by name) without
// deflating sharp's files on every save. In such a zip each entry's local record (header, deflated bytes, data
// descriptor) depends on the entry alone, and its central-directory record on the entry and its offset, so the
// records of the files that do not change are made once and spliced with the new bundle's: the result is the same
// bytes zipDeterministic makes of all the entries (a test holds it to that), hence the same CodeSha256 as setup's.
// Reads only zips zipDeterministic made in this process; it is no general zip reader (no ZIP64, no comments).
import { zipDeterministic, type ZipEntry } from '../provision/package.js';

/** One entry of a zip made by zipDeterministic: its name and its two records, as written. */
export interface ZipRecord {
  name: string;
  /** Local file header, stored bytes and data descriptor. */
  local: Buffer;
  /** Central-directory file header; its local-header offset is rewritten when spliced. */
  central: Buffer;
}

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const END_LENGTH = 22;

/** The entries as records: zipDeterministic, then cut into records (deflated unless `store`). */
export async function zipRecordsOf(entries: readonly ZipEntry[], options: { store?: boolean } = {}): Promise<ZipRecord[]> {
  if (entries.length === 0) return [];
  return zipRecords(await zipDeterministic(entries, options));
}

/**
 * The records of the last build's entries, kept by name: an entry whose bytes and mode are those of the last build
 * (with esbuild's code splitting, most chunks are, their names being hashes of their contents) reuses its record, and
 * only the others are deflated. A record depends on the entry alone, so the zip is the same bytes either way.
 */
export class ZipRecordCache {
  private records = new Map<string, { entry: ZipEntry; record: ZipRecord }>();

  /** The entries' records (any order), deflating only the entries new or changed since the last call. */
  async recordsOf(entries: readonly ZipEntry[]): Promise<{ records: ZipRecord[]; deflated: number }> {
    const kept: ZipRecord[] = [];
    const changed: ZipEntry[] = [];
    for (const entry of entries) {
      const cached = this.records.get(entry.name);
      if (cached && cached.entry.mode === entry.mode && cached.entry.data.equals(entry.data)) kept.push(cached.record);
      else changed.push(entry);
    }
    const made = await zipRecordsOf(changed);
    const madeByName = new Map(made.map((record) => [record.name, record]));
    // Only this build's entries are kept: a chunk the bundle no longer has is forgotten.
    const next = new Map<string, { entry: ZipEntry; record: ZipRecord }>();
    for (const entry of entries) {
      const record = madeByName.get(entry.name) ?? this.records.get(entry.name)?.record;
      if (record) next.set(entry.name, { entry, record });
    }
    this.records = next;
    return { records: [...kept, ...made], deflated: changed.length };
  }
}

/** Cuts a zip made by zipDeterministic into its entries' records, in the zip's order. */
export function zipRecords(zip: Buffer): ZipRecord[] {
  const end = zip.length - END_LENGTH;
  if (end < 0 || zip.readUInt32LE(end) !== END_SIGNATURE || zip.readUInt16LE(end + 20) !== 0) throw new Error('not a zip made by zipDeterministic (no plain end record)');
  const count = zip.readUInt16LE(end + 10);
  const centralSize = zip.readUInt32LE(end + 12);
  const centralOffset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || centralOffset === 0xffffffff || centralOffset + centralSize !== end) throw new Error('not a zip made by zipDeterministic (ZIP64 or a gap)');
  const records: ZipRecord[] = [];
  const offsets: number[] = [];
  let at = centralOffset;
  for (let index = 0; index < count; index++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error(`central record ${index} is not where it should be`);
    const length = 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const central = zip.subarray(at, at + length);
    offsets.push(central.readUInt32LE(42));
    records.push({ name: central.toString('utf8', 46, 46 + central.readUInt16LE(28)), local: Buffer.alloc(0), central });
    at += length;
  }
  if (at !== end) throw new Error('the central directory has bytes past its records');
  for (let index = 0; index < count; index++) {
    const start = offsets[index]!;
    const next = index + 1 < count ? offsets[index + 1]! : centralOffset;
    if (next <= start || zip.readUInt32LE(start) !== LOCAL_SIGNATURE) throw new Error(`local record ${index} is not where it should be`);
    records[index]!.local = zip.subarray(start, next);
  }
  if (offsets[0] !== undefined && offsets[0] !== 0) throw new Error('the zip does not start with its first entry');
  return records;
}

/**
 * One zip of all the records, sorted by name as zipDeterministic sorts its entries: the local records in order,
 * then the central directory with each record's offset rewritten, then the end record.
 */
export function spliceZip(groups: readonly (readonly ZipRecord[])[]): Buffer {
  const records = groups.flat().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let index = 1; index < records.length; index++) {
    if (records[index]!.name === records[index - 1]!.name) throw new Error(`duplicate zip entry ${records[index]!.name}`);
  }
  if (records.length >= 0xffff) throw new Error('too many entries for a zip without ZIP64');
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const record of records) {
    parts.push(record.local);
    const central = Buffer.from(record.central);
    central.writeUInt32LE(offset, 42);
    centrals.push(central);
    offset += record.local.length;
    if (offset > 0xffffffff) throw new Error('too large for a zip without ZIP64');
  }
  const centralSize = centrals.reduce((sum, central) => sum + central.length, 0);
  const endRecord = Buffer.alloc(END_LENGTH);
  endRecord.writeUInt32LE(END_SIGNATURE, 0);
  endRecord.writeUInt16LE(records.length, 8);
  endRecord.writeUInt16LE(records.length, 10);
  endRecord.writeUInt32LE(centralSize, 12);
  endRecord.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...centrals, endRecord]);
}
