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
`;

export const XRAY_LIMITS = {
  /** BatchGetTraces takes at most this many trace ids per call. */
  batchTraceIds: 5,
  /** GetTraceSummaries covers at most 24 hours per call. */
  summaryWindowSeconds: 24 * 3600,
} as const;

const TIME_RANGE_TYPES = ['TraceId', 'Event', 'Service'] as const;

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
   * Service by when a document ended. Newest traces first; `Sampling` is accepted and ignored (every trace is
   * returned).
   */
  getTraceSummaries(query: TraceSummariesQuery): GetTraceSummariesResult {
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
    if (query.nextToken !== undefined && (typeof cursor?.['ms'] !== 'number' || typeof cursor['id'] !== 'string')) {
      throw new InvalidRequestException('The NextToken is not valid');
    }

    const traceIds = (
      timeRangeType === 'TraceId'
        ? this.sql('SELECT DISTINCT trace_id FROM xray_segments WHERE trace_time >= ? AND trace_time <= ?').all(Math.floor(query.startTime), query.endTime)
        : this.sql('SELECT DISTINCT trace_id FROM xray_segments WHERE COALESCE(end_time, start_time) >= ? AND COALESCE(end_time, start_time) <= ?').all(
            query.startTime,
            query.endTime,
          )
    ).map((row) => (row as { trace_id: string }).trace_id);

    const summaries = this.loadTraces(traceIds)
      .map((trace) => this.summarize(trace))
      .filter(matches)
      .sort(newestFirst);
    const afterCursor = cursor
      ? summaries.filter((s) => newestFirst(s, { StartTime: new Date(cursor['ms'] as number), Id: cursor['id'] as string }) > 0)
      : summaries;
    const page = afterCursor.slice(0, this.pageSize);
    const last = page[page.length - 1];
    return {
      TraceSummaries: page,
      ApproximateTime: new Date(Math.min(query.endTime * 1000, this.now())),
      TracesProcessedCount: traceIds.length,
      NextToken: afterCursor.length > page.length && last ? encodePageToken({ ms: last.StartTime?.getTime() ?? 0, id: last.Id ?? '' }) : undefined,
    };
  }

  /** BatchGetTraces: the traces' documents, subsegments merged into their parents; unknown ids are unprocessed. */
  batchGetTraces(traceIds: readonly string[]): BatchGetTracesResult {
    checkTraceIds(traceIds, XRAY_LIMITS.batchTraceIds);
    const traces = new Map(this.loadTraces([...new Set(traceIds)]).map((t) => [t.traceId, t]));
    const found: Trace[] = [];
    const unprocessed: string[] = [];
    for (const id of new Set(traceIds)) {
      const trace = traces.get(id);
      if (!trace || trace.segments.length === 0) {
        unprocessed.push(id);
        continue;
      }
      found.push({
        Id: id,
        Duration: traceDuration(trace),
        LimitExceeded: false,
        Segments: trace.segments.map((s) => ({ Id: s.document.id, Document: s.text })),
      });
    }
    return { Traces: found, UnprocessedTraceIds: unprocessed };
  }

  /** GetServiceGraph: the graph of every trace with a document overlapping the window. */
  getServiceGraph(startTime: number, endTime: number): GetServiceGraphResult {
    checkWindow(startTime, endTime);
    const traceIds = this.sql('SELECT DISTINCT trace_id FROM xray_segments WHERE start_time <= ? AND COALESCE(end_time, start_time) >= ?')
      .all(endTime, startTime)
      .map((row) => (row as { trace_id: string }).trace_id);
    return {
      StartTime: new Date(startTime * 1000),
      EndTime: new Date(endTime * 1000),
      Services: buildServiceGraph(this.loadTraces(traceIds), { includeClient: true, accountId: this.options.accountId }),
      ContainsOldGroupVersions: false,
    };
  }

  /** GetTraceGraph: the service graph of the given traces. */
  getTraceGraph(traceIds: readonly string[]): GetTraceGraphResult {
    checkTraceIds(traceIds, Infinity);
    return { Services: buildServiceGraph(this.loadTraces([...new Set(traceIds)]), { includeClient: true, accountId: this.options.accountId }) };
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

  private summarize(trace: AssembledTrace): TraceSummary {
    return summarizeTrace(trace, { accountId: this.options.accountId });
  }

  private loadTraces(traceIds: readonly string[]): AssembledTrace[] {
    if (traceIds.length === 0) return [];
    const rows = this.sql('SELECT * FROM xray_segments WHERE trace_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(traceIds)) as SegmentRow[];
    const byTrace = new Map<string, SegmentRecord[]>();
    for (const row of rows) {
      const records = byTrace.get(row.trace_id) ?? [];
      byTrace.set(row.trace_id, records);
      records.push(toRecord(row));
    }
    const traces: AssembledTrace[] = [];
    for (const [traceId, records] of byTrace) {
      try {
        traces.push(assembleTrace(traceId, records));
      } catch (error) {
        // Stored documents were checked on the way in; a trace that still cannot be read is skipped, not fatal.
        this.log(`xray: cannot assemble trace ${traceId}: ${(error as Error).message}`);
      }
    }
    return traces;
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
