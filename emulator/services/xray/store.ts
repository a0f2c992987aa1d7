// X-Ray state and rules: segment documents in the shared SQLite database (one row per document, the raw text
// kept verbatim), and the queries built on them: trace summaries, traces, service and trace graphs. Never sees
// HTTP. Not modelled: groups, insights, encryption, sampling statistics; sampling always samples everything.
import type {
  BatchGetTracesResult,
  GetSamplingRulesResult,
  GetSamplingTargetsResult,
  GetServiceGraphResult,
  GetTraceGraphResult,
  GetTraceSummariesResult,
  Trace,
  TraceSummary,
  UnprocessedTraceSegment,
} from '@aws-sdk/client-xray';
import type { Statement } from 'better-sqlite3';
import type { XRayForOthers } from '../../core/context.js';
import { decodePageToken, encodePageToken } from '../../core/json-protocol.js';
import { migrate, statementCache, type Db } from '../../state/database.js';
import type { DiskSpace } from '../../state/disk-space.js';
import { InvalidRequestException } from './errors.js';
import { compileFilterExpression, FilterExpressionError, type TracePredicate } from './filter-expression.js';
import { assembleTrace, parseSegmentDocument, traceIdEpochSeconds, type AssembledTrace, type SegmentRecord } from './segments.js';
import { buildServiceGraph } from './service-graph.js';
import { summarizeTrace, traceDuration } from './summaries.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS xray_segments (
  trace_id TEXT NOT NULL,
  id TEXT NOT NULL,
  parent_id TEXT,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  origin TEXT,
  start_time REAL NOT NULL,
  end_time REAL,
  in_progress INTEGER NOT NULL,
  error INTEGER NOT NULL,
  fault INTEGER NOT NULL,
  throttle INTEGER NOT NULL,
  trace_time INTEGER NOT NULL,
  received_at REAL NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (trace_id, id)
);
CREATE INDEX IF NOT EXISTS xray_segments_trace_time ON xray_segments (trace_time);
CREATE INDEX IF NOT EXISTS xray_segments_event_time ON xray_segments (COALESCE(end_time, start_time));
CREATE INDEX IF NOT EXISTS xray_segments_start_time ON xray_segments (start_time);
CREATE INDEX IF NOT EXISTS xray_segments_received ON xray_segments (received_at);
CREATE INDEX IF NOT EXISTS xray_segments_trace_order ON xray_segments (trace_time, trace_id);
`;

export const XRAY_LIMITS = {
  /** BatchGetTraces takes at most this many trace ids per call. */
  batchTraceIds: 5,
  /** GetTraceSummaries covers at most 24 hours per call. */
  summaryWindowSeconds: 24 * 3600,
} as const;

const TIME_RANGE_TYPES = ['TraceId', 'Event', 'Service'] as const;

/** What one read may spend, and how it divides the work so that the cloud keeps answering meanwhile. */
export interface XRayScanBudget {
  /** Work between two pauses that let the event loop run (other requests wait at most about this long). */
  sliceMs: number;
  /** Trace ids one SQL query lists; it is closed before any pause. */
  tracesPerQuery: number;
  /** Documents read of one trace; past it the trace is assembled from these and reported LimitExceeded. */
  traceBytes: number;
  /** GetTraceSummaries and BatchGetTraces answer with what they have and a NextToken past this much time... */
  requestMs: number;
  /** ...or this many bytes of documents read (GetServiceGraph and GetTraceGraph stop there). */
  requestBytes: number;
}

export const XRAY_SCAN_BUDGET: Readonly<XRayScanBudget> = { sliceMs: 10, tracesPerQuery: 50, traceBytes: 4 * 1024 * 1024, requestMs: 1_000, requestBytes: 32 * 1024 * 1024 };

interface SegmentRow {
  trace_id: string;
  id: string;
  parent_id: string | null;
  kind: 'segment' | 'subsegment';
  name: string;
  origin: string | null;
  start_time: number;
  end_time: number | null;
  in_progress: number;
  error: number;
  fault: number;
  throttle: number;
  document: string;
}

export interface XRayStoreOptions {
  accountId: string;
  region: string;
  /** Diagnostic lines (documents dropped from the daemon or the Lambda runtime). */
  log?: (message: string) => void;
  /** Trace summaries per GetTraceSummaries page. */
  summariesPageSize?: number;
  /** Retention: the newest this many documents are kept... */
  maxSegments?: number;
  /** ...and none older than this. */
  maxAgeSeconds?: number;
  /** The clock, in epoch milliseconds; tests pin it. */
  now?: () => number;
  /** The disk: PutTraceSegments is refused (503) while it is full, and segments from functions are dropped. */
  disk?: Pick<DiskSpace, 'full' | 'assertWritable'>;
  /** Overrides of XRAY_SCAN_BUDGET (tests use small ones). */
  scanBudget?: Partial<XRayScanBudget>;
}

/** One trace read from the table, within the per-trace budget. */
interface LoadedTrace {
  trace: AssembledTrace;
  /** Bytes of documents read. */
  bytes: number;
  /** True when the trace has more documents than the budget let us read. */
  limitExceeded: boolean;
}

export interface TraceSummariesQuery {
  /** Epoch seconds. */
  startTime: number;
  endTime: number;
  timeRangeType?: string;
  filterExpression?: string;
  sampling?: boolean;
  nextToken?: string;
}

export class XRayStore implements XRayForOthers {
  /** `127.0.0.1:<port>` of the UDP daemon once the service has started; functions get it as AWS_XRAY_DAEMON_ADDRESS. */
  daemonAddress?: string;

  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly pageSize: number;
  private readonly maxSegments: number;
  private readonly maxAgeSeconds: number;
  private readonly sql: (text: string) => Statement;
  private readonly budget: XRayScanBudget;
  private readonly storeRecords: (records: readonly SegmentRecord[]) => void;
  private storedSinceRetention = 0;

  constructor(
    private readonly db: Db,
    private readonly options: XRayStoreOptions,
  ) {
    migrate(db, SCHEMA);
    this.now = options.now ?? Date.now;
    this.sql = statementCache(db);
    this.log = options.log ?? (() => undefined);
    this.pageSize = options.summariesPageSize ?? 100;
    this.maxSegments = options.maxSegments ?? 100_000;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 30 * 24 * 3600;
    this.budget = { ...XRAY_SCAN_BUDGET, ...options.scanBudget };
    // A document replaces the stored one with the same id, unless it would put a finished one back in progress.
    const upsert = db.prepare(`
      INSERT INTO xray_segments (trace_id, id, parent_id, kind, name, origin, start_time, end_time, in_progress,
                                 error, fault, throttle, trace_time, received_at, document)
      VALUES (@traceId, @id, @parentId, @kind, @name, @origin, @startTime, @endTime, @inProgress,
              @error, @fault, @throttle, @traceTime, @receivedAt, @document)
      ON CONFLICT (trace_id, id) DO UPDATE SET
        parent_id = excluded.parent_id, kind = excluded.kind, name = excluded.name, origin = excluded.origin,
        start_time = excluded.start_time, end_time = excluded.end_time, in_progress = excluded.in_progress,
        error = excluded.error, fault = excluded.fault, throttle = excluded.throttle,
        received_at = excluded.received_at, document = excluded.document
      WHERE excluded.in_progress = 0 OR xray_segments.in_progress = 1`);
    this.storeRecords = db.transaction((records: readonly SegmentRecord[]) => {
      const receivedAt = this.now() / 1000;
      for (const r of records) {
        upsert.run({
          traceId: r.traceId,
          id: r.id,
          parentId: r.parentId ?? null,
          kind: r.kind,
          name: r.name,
          origin: r.origin ?? null,
          startTime: r.startTime,
          endTime: r.endTime ?? null,
          inProgress: r.inProgress ? 1 : 0,
          error: r.error ? 1 : 0,
          fault: r.fault ? 1 : 0,
          throttle: r.throttle ? 1 : 0,
          traceTime: traceIdEpochSeconds(r.traceId) ?? Math.floor(r.startTime),
          receivedAt,
          document: r.document,
        });
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Writing

  /** PutTraceSegments: stores the valid documents, reports the others as AWS does (per document, not as an error). */
  putTraceSegments(documents: readonly string[]): UnprocessedTraceSegment[] {
    this.options.disk?.assertWritable();
    const records: SegmentRecord[] = [];
    const unprocessed: UnprocessedTraceSegment[] = [];
    for (const text of documents) {
      const parsed = parseSegmentDocument(text);
      if (parsed.ok) records.push(parsed.record);
      else unprocessed.push({ Id: parsed.id, ErrorCode: parsed.errorCode, Message: parsed.message });
    }
    if (records.length > 0) {
      this.storeRecords(records);
      this.storedSinceRetention += records.length;
      if (this.storedSinceRetention >= 1000) this.enforceRetention();
    }
    return unprocessed;
  }

  /** The cross-service entry (Lambda runtime, UDP daemon): like PutTraceSegments, logging what it drops. */
  putSegments(documents: string[]): void {
    // On a full disk, segments are lost (they would eat the room deletes need); cloud.log said so once.
    if (this.options.disk?.full) return;
    for (const problem of this.putTraceSegments(documents)) {
      this.log(`xray: dropped segment ${problem.Id ?? '(no id)'}: ${problem.ErrorCode}: ${problem.Message}`);
    }
  }

  /** Keeps at most `maxSegments` documents and none older than `maxAgeSeconds`. @returns documents deleted */
  enforceRetention(): number {
    this.storedSinceRetention = 0;
    const cutoff = this.now() / 1000 - this.maxAgeSeconds;
    let deleted = this.sql('DELETE FROM xray_segments WHERE received_at < ?').run(cutoff).changes;
    const { count } = this.sql('SELECT COUNT(*) AS count FROM xray_segments').get() as { count: number };
    if (count > this.maxSegments) {
      deleted += this.sql('DELETE FROM xray_segments WHERE rowid IN (SELECT rowid FROM xray_segments ORDER BY received_at, start_time LIMIT ?)').run(
        count - this.maxSegments,
      ).changes;
    }
    return deleted;
  }

  // ---------------------------------------------------------------------------------------------------
  // Reading

  /**
   * GetTraceSummaries. TimeRangeType TraceId (the default) selects traces by the time in their id; Event and
   * Service by when a document ended. Newest trace ids first; `Sampling` is accepted and ignored (every trace is
   * returned). Budgeted as X-Ray is: traces are read in slices with pauses between them, and once the call has
   * spent its time or bytes it answers with the summaries so far (maybe none) and a NextToken.
   */
  async getTraceSummaries(query: TraceSummariesQuery): Promise<GetTraceSummariesResult> {
    checkWindow(query.startTime, query.endTime);
    if (query.endTime - query.startTime > XRAY_LIMITS.summaryWindowSeconds) {
      throw new InvalidRequestException('The time range between StartTime and EndTime must be at most 24 hours');
    }
    const timeRangeType = query.timeRangeType ?? 'TraceId';
    if (!(TIME_RANGE_TYPES as readonly string[]).includes(timeRangeType)) {
      throw new InvalidRequestException(`TimeRangeType must be one of ${TIME_RANGE_TYPES.join(', ')}`);
    }
    const matches = compileExpression(query.filterExpression);
    const cursor = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken);
    if (query.nextToken !== undefined && (typeof cursor?.['tt'] !== 'number' || typeof cursor['id'] !== 'string')) {
      throw new InvalidRequestException('The NextToken is not valid');
    }
    const window =
      timeRangeType === 'TraceId' ? 'trace_time >= @start AND trace_time <= @end' : 'COALESCE(end_time, start_time) >= @start AND COALESCE(end_time, start_time) <= @end';
    const idsAfter = this.sql(
      `SELECT DISTINCT trace_time, trace_id FROM xray_segments
       WHERE ${window} AND (trace_time < @tt OR (trace_time = @tt AND trace_id < @id))
       ORDER BY trace_time DESC, trace_id DESC LIMIT @take`,
    );
    const clock = new ScanClock(this.budget);
    // Without a token, every trace is "after" the position: its trace_time is below MAX_SAFE_INTEGER.
    let position = { tt: (cursor?.['tt'] as number | undefined) ?? Number.MAX_SAFE_INTEGER, id: (cursor?.['id'] as string | undefined) ?? '' };
    const page: TraceSummary[] = [];
    let processed = 0;
    let more = false;
    scan: for (;;) {
      const start = timeRangeType === 'TraceId' ? Math.floor(query.startTime) : query.startTime;
      const ids = idsAfter.all({ start, end: query.endTime, tt: position.tt, id: position.id, take: this.budget.tracesPerQuery }) as {
        trace_time: number;
        trace_id: string;
      }[];
      for (const { trace_time, trace_id } of ids) {
        if (page.length >= this.pageSize) {
          more = true;
          break scan;
        }
        const loaded = this.loadTrace(trace_id);
        clock.scanned(loaded.bytes);
        processed++;
        position = { tt: trace_time, id: trace_id };
        const summary = loaded.trace.segments.length > 0 ? this.summarize(loaded.trace) : undefined;
        if (summary && matches(summary)) page.push(summary);
        if (clock.spent()) {
          more = true;
          break scan;
        }
        await clock.pauseIfDue();
      }
      if (ids.length < this.budget.tracesPerQuery) break;
    }
    return {
      TraceSummaries: page,
      ApproximateTime: new Date(Math.min(query.endTime * 1000, this.now())),
      TracesProcessedCount: processed,
      NextToken: more ? encodePageToken({ tt: position.tt, id: position.id }) : undefined,
    };
  }

  /**
   * BatchGetTraces: the traces' documents, subsegments merged into their parents; unknown ids are unprocessed.
   * A trace larger than the per-trace budget comes back LimitExceeded with what was read; a call that has spent
   * its time answers with the traces so far and a NextToken for the rest. Documents stored before the segment
   * rules were checked, and failing them, are returned as stored.
   */
  async batchGetTraces(traceIds: readonly string[], nextToken?: string): Promise<BatchGetTracesResult> {
    checkTraceIds(traceIds, XRAY_LIMITS.batchTraceIds);
    const unique = [...new Set(traceIds)];
    const cursor = nextToken === undefined ? undefined : decodePageToken(nextToken);
    const first = cursor?.['i'];
    if (nextToken !== undefined && (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first >= unique.length)) {
      throw new InvalidRequestException('The NextToken is not valid');
    }
    const clock = new ScanClock(this.budget);
    const found: Trace[] = [];
    const unprocessed: string[] = [];
    for (let index = (first as number | undefined) ?? 0; index < unique.length; index++) {
      if (index > ((first as number | undefined) ?? 0) && clock.spent()) {
        return { Traces: found, UnprocessedTraceIds: unprocessed, NextToken: encodePageToken({ i: index }) };
      }
      const id = unique[index]!;
      const { trace, bytes, limitExceeded } = this.loadTrace(id);
      clock.scanned(bytes);
      if (trace.segments.length === 0 && trace.unreadable.length === 0) {
        unprocessed.push(id);
      } else {
        found.push({
          Id: id,
          Duration: trace.segments.length > 0 ? safely(() => traceDuration(trace), 0) : 0,
          LimitExceeded: limitExceeded,
          Segments: [...trace.segments.map((s) => ({ Id: s.document.id, Document: s.text })), ...trace.unreadable.map((u) => ({ Id: u.id, Document: u.text }))],
        });
      }
      await clock.pauseIfDue();
    }
    return { Traces: found, UnprocessedTraceIds: unprocessed };
  }

  /** GetServiceGraph: the graph of the traces with a document overlapping the window (as many as the budget reads). */
  async getServiceGraph(startTime: number, endTime: number): Promise<GetServiceGraphResult> {
    checkWindow(startTime, endTime);
    const traceIds = this.sql('SELECT DISTINCT trace_id FROM xray_segments WHERE start_time <= ? AND COALESCE(end_time, start_time) >= ?')
      .all(endTime, startTime)
      .map((row) => (row as { trace_id: string }).trace_id);
    return {
      StartTime: new Date(startTime * 1000),
      EndTime: new Date(endTime * 1000),
      Services: buildServiceGraph(await this.loadTraces(traceIds), { includeClient: true, accountId: this.options.accountId }),
      ContainsOldGroupVersions: false,
    };
  }

  /** GetTraceGraph: the service graph of the given traces. */
  async getTraceGraph(traceIds: readonly string[]): Promise<GetTraceGraphResult> {
    checkTraceIds(traceIds, Infinity);
    return { Services: buildServiceGraph(await this.loadTraces([...new Set(traceIds)]), { includeClient: true, accountId: this.options.accountId }) };
  }

  /** The one sampling rule the local cloud has: like AWS's Default rule, but sampling every request. */
  getSamplingRules(): GetSamplingRulesResult {
    return {
      SamplingRuleRecords: [
        {
          SamplingRule: {
            RuleName: 'Default',
            RuleARN: `arn:aws:xray:${this.options.region}:${this.options.accountId}:sampling-rule/Default`,
            ResourceARN: '*',
            Priority: 10000,
            FixedRate: 1,
            ReservoirSize: 1,
            ServiceName: '*',
            ServiceType: '*',
            Host: '*',
            HTTPMethod: '*',
            URLPath: '*',
            Version: 1,
            Attributes: {},
          },
          CreatedAt: new Date(0),
          ModifiedAt: new Date(0),
        },
      ],
    };
  }

  /** Sampling targets for the SDK's reporter: every rule it asks about samples everything. */
  getSamplingTargets(ruleNames: readonly string[]): GetSamplingTargetsResult {
    const now = this.now();
    return {
      SamplingTargetDocuments: ruleNames.map((RuleName) => ({
        RuleName,
        FixedRate: 1,
        ReservoirQuota: 1,
        ReservoirQuotaTTL: new Date(now + 10_000),
        Interval: 10,
      })),
      LastRuleModification: new Date(0),
      UnprocessedStatistics: [],
    };
  }

  // ---------------------------------------------------------------------------------------------------

  /** A trace's summary; undefined (and logged) when it cannot be summarised, so one trace never fails a listing. */
  private summarize(trace: AssembledTrace): TraceSummary | undefined {
    try {
      return summarizeTrace(trace, { accountId: this.options.accountId });
    } catch (error) {
      this.log(`xray: cannot summarise trace ${trace.traceId}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** One trace's documents, earliest first, up to the per-trace budget, assembled. */
  private loadTrace(traceId: string): LoadedTrace {
    const rows = this.sql('SELECT * FROM xray_segments WHERE trace_id = ? ORDER BY start_time').iterate(traceId) as IterableIterator<SegmentRow>;
    const records: SegmentRecord[] = [];
    let bytes = 0;
    let limitExceeded = false;
    for (const row of rows) {
      if (records.length > 0 && bytes + row.document.length > this.budget.traceBytes) {
        limitExceeded = true;
        break;
      }
      bytes += row.document.length;
      records.push(toRecord(row));
    }
    // Stop the statement if we broke out early, so the connection is free for the next call.
    rows.return?.();
    try {
      const trace = assembleTrace(traceId, records);
      return { trace: limitExceeded ? { ...trace, partial: true } : trace, bytes, limitExceeded };
    } catch (error) {
      // Stored documents were checked on the way in (and again in assembleTrace); this is a last resort.
      this.log(`xray: cannot assemble trace ${traceId}: ${(error as Error).message}`);
      return { trace: { traceId, segments: [], partial: true, unreadable: records.map((r) => ({ id: r.id, text: r.document })) }, bytes, limitExceeded };
    }
  }

  /** Several traces, pausing between them, until the request's bytes are spent (the rest are left out). */
  private async loadTraces(traceIds: readonly string[]): Promise<AssembledTrace[]> {
    const clock = new ScanClock(this.budget);
    const traces: AssembledTrace[] = [];
    for (const traceId of traceIds) {
      const loaded = this.loadTrace(traceId);
      clock.scanned(loaded.bytes);
      if (loaded.trace.segments.length > 0) traces.push(loaded.trace);
      if (clock.spentBytes()) {
        this.log(`xray: a graph read the budget of ${this.budget.requestBytes} bytes of documents and left ${traceIds.length - traces.length} trace(s) out`);
        break;
      }
      await clock.pauseIfDue();
    }
    return traces;
  }
}

function safely<T>(compute: () => T, fallback: T): T {
  try {
    return compute();
  } catch {
    return fallback;
  }
}

/** Keeps a read to its budget: how long it has run, how much it has read, and when to let the event loop run. */
class ScanClock {
  private readonly started = Date.now();
  private sliceStarted = this.started;
  private bytes = 0;

  constructor(private readonly budget: XRayScanBudget) {}

  scanned(bytes: number): void {
    this.bytes += bytes;
  }

  spentBytes(): boolean {
    return this.bytes >= this.budget.requestBytes;
  }

  spent(): boolean {
    return this.spentBytes() || Date.now() - this.started >= this.budget.requestMs;
  }

  async pauseIfDue(): Promise<void> {
    if (Date.now() - this.sliceStarted < this.budget.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStarted = Date.now();
  }
}

function toRecord(row: SegmentRow): SegmentRecord {
  return {
    traceId: row.trace_id,
    id: row.id,
    parentId: row.parent_id ?? undefined,
    kind: row.kind,
    name: row.name,
    origin: row.origin ?? undefined,
    startTime: row.start_time,
    endTime: row.end_time ?? undefined,
    inProgress: row.in_progress === 1,
    error: row.error === 1,
    fault: row.fault === 1,
    throttle: row.throttle === 1,
    document: row.document,
  };
}

/** Newest first, then by id, so pages are stable. */
function newestFirst(a: Pick<TraceSummary, 'StartTime' | 'Id'>, b: Pick<TraceSummary, 'StartTime' | 'Id'>): number {
  const byTime = (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0);
  if (byTime !== 0) return byTime;
  return (a.Id ?? '') < (b.Id ?? '') ? -1 : (a.Id ?? '') > (b.Id ?? '') ? 1 : 0;
}

function checkWindow(startTime: number, endTime: number): void {
  if (endTime < startTime) throw new InvalidRequestException('EndTime must not be before StartTime');
}

function checkTraceIds(traceIds: readonly string[], max: number): void {
  if (traceIds.length === 0) throw new InvalidRequestException('TraceIds must contain at least one trace id');
  if (traceIds.length > max) throw new InvalidRequestException(`TraceIds can contain at most ${max} trace ids`);
}

function compileExpression(expression: string | undefined): TracePredicate {
  try {
    return compileFilterExpression(expression);
  } catch (error) {
    if (error instanceof FilterExpressionError) throw new InvalidRequestException(`Invalid FilterExpression: ${error.message}`);
    throw error;
  }
}
