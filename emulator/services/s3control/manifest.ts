// The Batch Operations manifest (S3BatchOperations_CSV_20180820) and completion report (Report_CSV_20180820) as
// text: reading manifest lines into tasks, writing report rows and the report's manifest.json. Pure: no S3, no
// SQLite, no job state (store.ts and runner.ts own those). Inventory-report manifests are not read here.

/** The manifest formats CreateJob accepts; only the CSV one is read by the local cloud. */
export const MANIFEST_FORMATS = ['S3BatchOperations_CSV_20180820', 'S3InventoryReport_CSV_20161130'] as const;
export const CSV_MANIFEST_FORMAT = 'S3BatchOperations_CSV_20180820';
export const MANIFEST_FIELDS = ['Ignore', 'Bucket', 'Key', 'VersionId'] as const;
export type ManifestField = (typeof MANIFEST_FIELDS)[number];

export const REPORT_FORMAT = 'Report_CSV_20180820';
/** The column names manifest.json declares, as AWS writes them. */
export const REPORT_SCHEMA = 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage';

/** One object of the manifest. The key stays URL-encoded, as the manifest holds it and as tasks pass it on. */
export interface ManifestEntry {
  bucket: string;
  key: string;
  versionId?: string;
}

/** A manifest line the job cannot use; the job fails naming the line. */
export class ManifestError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ManifestError';
  }
}

/**
 * The entries of a CSV manifest, in order. Columns follow `fields` (Bucket and Key required; Ignore skips a
 * column); fields may be quoted as CSV quotes them; empty lines are skipped; CRLF line ends are read.
 * @param text - the whole manifest (the caller bounds its size)
 * @param fields - the job's Manifest.Spec.Fields
 * @throws ManifestError for a line with the wrong number of columns, an empty bucket or key, or a key that is not
 *   valid URL encoding (S3 Batch Operations requires keys URL-encoded)
 */
export function* readCsvManifest(text: string, fields: readonly ManifestField[]): Generator<ManifestEntry> {
  let lineNumber = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber += 1;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (line.trim() === '') continue;
    const values = splitCsvLine(line, lineNumber);
    if (values.length !== fields.length) throw new ManifestError(lineNumber, `has ${values.length} columns, the manifest's fields name ${fields.length}`);
    const entry: Partial<ManifestEntry> = {};
    fields.forEach((field, index) => {
      const value = values[index]!;
      if (field === 'Bucket') entry.bucket = value;
      else if (field === 'Key') entry.key = value;
      else if (field === 'VersionId' && value !== '') entry.versionId = value;
    });
    if (!entry.bucket) throw new ManifestError(lineNumber, 'has no bucket');
    if (!entry.key) throw new ManifestError(lineNumber, 'has no key');
    try {
      decodeURIComponent(entry.key);
    } catch {
      throw new ManifestError(lineNumber, 'has a key that is not valid URL encoding');
    }
    yield entry as ManifestEntry;
  }
}

function splitCsvLine(line: string, lineNumber: number): string[] {
  const values: string[] = [];
  let index = 0;
  for (;;) {
    let value = '';
    if (line[index] === '"') {
      index += 1;
      for (;;) {
        const quote = line.indexOf('"', index);
        if (quote === -1) throw new ManifestError(lineNumber, 'has an unterminated quoted field');
        value += line.slice(index, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          index = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
      if (index < line.length && line[index] !== ',') throw new ManifestError(lineNumber, 'has text after a quoted field');
    } else {
      const comma = line.indexOf(',', index);
      value = line.slice(index, comma === -1 ? line.length : comma);
      index = comma === -1 ? line.length : comma;
    }
    values.push(value);
    if (index >= line.length) return values;
    index += 1; // the comma
  }
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** What one task came to, as the report writes it. */
export interface ReportRow {
  bucket: string;
  /** As the manifest held it (URL-encoded). */
  key: string;
  versionId?: string;
  taskStatus: 'succeeded' | 'failed';
  httpStatusCode: number;
  /** Empty for a succeeded task; the result code (PermanentFailure, ...) or the error code otherwise. */
  errorCode: string;
  resultMessage: string;
}

/**
 * One report line. The columns follow AWS's own example reports (`bucket,key,,succeeded,200,,<result>` and
 * `bucket,key,,failed,200,PermanentFailure,"Lambda returned function error: ..."`): the HTTP status before the
 * error code, whatever order manifest.json's ReportSchema lists them in.
 */
export function reportLine(row: ReportRow): string {
  return [row.bucket, row.key, row.versionId ?? '', row.taskStatus, String(row.httpStatusCode), row.errorCode, row.resultMessage].map(csvField).join(',');
}

/** Where a job's report goes: `<prefix>/job-<id>/` (no prefix: `job-<id>/`). */
export function reportBase(prefix: string | undefined, jobId: string): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  return `${trimmed === '' ? '' : `${trimmed}/`}job-${jobId}`;
}

/** One entry of manifest.json's Results. */
export interface ReportFile {
  TaskExecutionStatus: 'succeeded' | 'failed';
  Bucket: string;
  MD5Checksum: string;
  Key: string;
}

/** The report's top-level manifest.json, as AWS writes it. */
export function reportManifest(files: readonly ReportFile[], createdAt: Date): string {
  return JSON.stringify({ Format: REPORT_FORMAT, ReportCreationDate: createdAt.toISOString(), Results: files, ReportSchema: REPORT_SCHEMA });
}
