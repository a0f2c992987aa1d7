// CloudWatch Logs state and rules: log groups, streams and events in the shared SQLite database. It never sees
// HTTP; the router hands it typed inputs shaped like the SDK's requests. Not modelled: KMS, tags, metric and
// subscription filters, Insights queries, data protection, log group classes; storedBytes is always 0.
import type {
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  FilteredLogEvent,
  FilterLogEventsRequest,
  FilterLogEventsResponse,
  GetLogEventsRequest,
  GetLogEventsResponse,
  InputLogEvent,
  LogGroup,
  LogStream,
  OutputLogEvent,
  PutLogEventsResponse,
  RejectedLogEventsInfo,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Statement } from 'better-sqlite3';
import type { LogsForOthers } from '../../core/context.js';
import { Constraint } from '../../core/constraints.js';
import { decodePageToken, encodePageToken } from '../../core/json-protocol.js';
import { migrate, statementCache, type Db } from '../../state/database.js';
import type { DiskSpace } from '../../state/disk-space.js';
import { InvalidParameterException, ResourceAlreadyExistsException, ResourceNotFoundException, ValidationException } from './errors.js';
import { compileFilterPattern, FilterPatternError, type LogEventMatcher } from './filter-pattern.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs_groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  creation_time INTEGER NOT NULL,
  retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS logs_streams (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES logs_groups(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  first_event_timestamp INTEGER,
  last_event_timestamp INTEGER,
  last_ingestion_time INTEGER,
  upload_sequence INTEGER NOT NULL DEFAULT 0,
  UNIQUE (group_id, name)
);
CREATE TABLE IF NOT EXISTS logs_events (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES logs_groups(id) ON DELETE CASCADE,
  stream_id INTEGER NOT NULL REFERENCES logs_streams(id) ON DELETE CASCADE,
  timestamp INTEGER NOT NULL,
  ingestion_time INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_events_stream_time ON logs_events (stream_id, timestamp, id);
CREATE INDEX IF NOT EXISTS logs_events_group_time ON logs_events (group_id, timestamp, id);
`;

/** The retention values PutRetentionPolicy accepts, in AWS's order (its error message lists them). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** AWS's limits, from the Logs API reference. */
export const LOGS_LIMITS = {
  describeLimit: 50,
  eventsLimit: 10_000,
  /** GetLogEvents and FilterLogEvents return at most this many bytes of events (26 bytes of overhead each). */
  responseBytes: 1_048_576,
  eventOverheadBytes: 26,
  /** PutLogEvents: one event's message in UTF-8 plus the overhead, at most 256 KB; the whole batch at most 1 MB. */
  maxEventBytes: 262_144,
  maxBatchBytes: 1_048_576,
  maxBatchSpanMs: 24 * 3600 * 1000,
  tooNewMs: 2 * 3600 * 1000,
  tooOldMs: 14 * 24 * 3600 * 1000,
  maxStreamNames: 100,
  /** FilterLogEvents' filterPattern: at most 1,024 characters (the API model's constraint). */
  maxFilterPatternLength: 1024,
} as const;

/** What one FilterLogEvents may spend, and how it divides the work so that the cloud keeps answering meanwhile. */
export interface ScanBudget {
  /** Work between two pauses that let the event loop run (other requests wait at most about this long). */
  sliceMs: number;
  /** Rows one SQL query reads; the query is closed before any pause. */
  queryRows: number;
  /** ...and message bytes, past which it stops early. */
  queryBytes: number;
  /** A call answers with what it has and a nextToken once it has scanned this long... */
  requestMs: number;
  /** ...or this many bytes of messages. */
  requestBytes: number;
}

export const SCAN_BUDGET: Readonly<ScanBudget> = { sliceMs: 10, queryRows: 256, queryBytes: 1024 * 1024, requestMs: 1_000, requestBytes: 64 * 1024 * 1024 };

const GROUP_NAME_PATTERN = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME_PATTERN = /^[^:*]*$/;
/** GetLogEvents tokens look like AWS's: a direction, a slash and 56 digits (here: timestamp and event id). */
const STREAM_TOKEN_PATTERN = /^([fb])\/(\d{20})(\d{36})$/;

interface GroupRow {
  id: number;
  name: string;
  creation_time: number;
  retention_days: number | null;
}

interface StreamRow {
  id: number;
  group_id: number;
  name: string;
  creation_time: number;
  first_event_timestamp: number | null;
  last_event_timestamp: number | null;
  last_ingestion_time: number | null;
  upload_sequence: number;
}

interface EventRow {
  id: number;
  timestamp: number;
  ingestion_time: number;
  message: string;
}

interface FilteredEventRow extends EventRow {
  stream_name: string;
}

/** A position in a stream's (timestamp, id) order; GetLogEvents reads strictly after or before it. */
interface StreamPosition {
  timestamp: number;
  id: number;
}

export interface LogsStoreOptions {
  accountId: string;
  region: string;
  /** The clock, in epoch milliseconds; tests pin it. */
  now?: () => number;
  /** The disk: PutLogEvents is refused (503) while it is full, and function log lines are dropped. */
  disk?: Pick<DiskSpace, 'full' | 'assertWritable'>;
  /** Overrides of SCAN_BUDGET (tests use small ones). */
  scanBudget?: Partial<ScanBudget>;
}

export class LogsStore implements LogsForOthers {
  private readonly now: () => number;
  private readonly scanBudget: ScanBudget;
  /** (group, stream) to ids for the ingestion path, so a function's log line costs one transaction. */
  private readonly streamIds = new Map<string, { groupId: number; streamId: number }>();
  private readonly sql: (text: string) => Statement;
  private readonly insertEvents: (streamKey: { groupId: number; streamId: number }, events: readonly InputLogEvent[]) => void;

  constructor(
    private readonly db: Db,
    private readonly options: LogsStoreOptions,
  ) {
    migrate(db, SCHEMA);
    this.now = options.now ?? Date.now;
    this.scanBudget = { ...SCAN_BUDGET, ...options.scanBudget };
    this.sql = statementCache(db);
    const insertEvent = db.prepare('INSERT INTO logs_events (group_id, stream_id, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?, ?)');
    const updateStream = db.prepare(`
      UPDATE logs_streams SET
        first_event_timestamp = MIN(COALESCE(first_event_timestamp, @first), @first),
        last_event_timestamp = MAX(COALESCE(last_event_timestamp, @last), @last),
        last_ingestion_time = @ingested,
        upload_sequence = upload_sequence + 1
      WHERE id = @id`);
    this.insertEvents = db.transaction((key: { groupId: number; streamId: number }, events: readonly InputLogEvent[]) => {
      const ingested = this.now();
      let first = Infinity;
      let last = -Infinity;
      for (const event of events) {
        const timestamp = Math.trunc(event.timestamp ?? ingested);
        insertEvent.run(key.groupId, key.streamId, timestamp, ingested, event.message ?? '');
        first = Math.min(first, timestamp);
        last = Math.max(last, timestamp);
      }
      updateStream.run({ id: key.streamId, first, last, ingested });
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Log groups

  createLogGroup(name: string | undefined): void {
    const groupName = requireGroupName(name);
    const result = this.sql('INSERT OR IGNORE INTO logs_groups (name, creation_time) VALUES (?, ?)').run(groupName, this.now());
    if (result.changes === 0) throw ResourceAlreadyExistsException.logGroup();
  }

  deleteLogGroup(name: string | undefined): void {
    const group = this.requireGroup(name);
    // The cascade removes streams and events; forget cached ids so the ingestion path recreates them.
    this.sql('DELETE FROM logs_groups WHERE id = ?').run(group.id);
    this.streamIds.clear();
  }

  putRetentionPolicy(name: string | undefined, days: number | undefined): void {
    if (days === undefined) throw InvalidParameterException.missing('retentionInDays');
    if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
      throw InvalidParameterException.violated('retentionInDays', days, Constraint.oneOf(RETENTION_DAYS));
    }
    const group = this.requireGroup(name);
    this.sql('UPDATE logs_groups SET retention_days = ? WHERE id = ?').run(days, group.id);
  }

  deleteRetentionPolicy(name: string | undefined): void {
    const group = this.requireGroup(name);
    this.sql('UPDATE logs_groups SET retention_days = NULL WHERE id = ?').run(group.id);
  }

  describeLogGroups(request: DescribeLogGroupsRequest): DescribeLogGroupsResponse {
    const limit = checkLimit(request.limit, 'limit', LOGS_LIMITS.describeLimit, LOGS_LIMITS.describeLimit);
    if (request.logGroupNamePrefix !== undefined && request.logGroupNamePattern !== undefined) {
      throw new InvalidParameterException('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    }
    const after = request.nextToken === undefined ? undefined : readCursor(request.nextToken, 'name');
    const prefix = request.logGroupNamePrefix ?? '';
    const pattern = request.logGroupNamePattern ?? '';
    const rows = this.sql(
      `SELECT * FROM logs_groups
       WHERE (@after IS NULL OR name > @after) AND substr(name, 1, length(@prefix)) = @prefix AND instr(name, @pattern) > 0
       ORDER BY name LIMIT @take`,
    ).all({ after: after ?? null, prefix, pattern, take: limit + 1 }) as GroupRow[];
    const page = rows.slice(0, limit);
    return {
      logGroups: page.map((row) => this.groupView(row)),
      nextToken: rows.length > limit ? encodePageToken({ name: page[page.length - 1]!.name }) : undefined,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Log streams

  createLogStream(groupName: string | undefined, streamName: string | undefined): void {
    const name = requireStreamName(streamName);
    const group = this.requireGroup(groupName);
    const result = this.sql('INSERT OR IGNORE INTO logs_streams (group_id, name, creation_time) VALUES (?, ?, ?)').run(group.id, name, this.now());
    if (result.changes === 0) throw ResourceAlreadyExistsException.logStream();
  }

  deleteLogStream(groupName: string | undefined, streamName: string | undefined): void {
    const stream = this.requireStream(groupName, streamName);
    this.sql('DELETE FROM logs_streams WHERE id = ?').run(stream.id);
    this.streamIds.clear();
  }

  describeLogStreams(request: DescribeLogStreamsRequest): DescribeLogStreamsResponse {
    const limit = checkLimit(request.limit, 'limit', LOGS_LIMITS.describeLimit, LOGS_LIMITS.describeLimit);
    const orderBy = request.orderBy ?? 'LogStreamName';
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
      throw InvalidParameterException.violated('orderBy', orderBy, Constraint.oneOf(['LogStreamName', 'LastEventTime']));
    }
    // AWS refuses this combination rather than ordering a prefix match by time.
    if (orderBy === 'LastEventTime' && request.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const group = this.requireGroup(groupNameOf(request));
    const descending = request.descending === true;
    const direction = descending ? 'DESC' : 'ASC';
    const comparison = descending ? '<' : '>';
    // Streams without events sort as if their last event were at time 0, before every stream with events.
    const sortKey = orderBy === 'LastEventTime' ? 'COALESCE(last_event_timestamp, 0)' : "''";
    const cursor = request.nextToken === undefined ? undefined : decodePageToken(request.nextToken);
    if (request.nextToken !== undefined && (typeof cursor?.['name'] !== 'string' || typeof cursor['key'] !== (orderBy === 'LastEventTime' ? 'number' : 'string'))) {
      throw invalidToken();
    }
    const rows = this.sql(
      `SELECT * FROM logs_streams
       WHERE group_id = @group AND substr(name, 1, length(@prefix)) = @prefix
         AND (@cursorName IS NULL OR (${sortKey}, name) ${comparison} (@cursorKey, @cursorName))
       ORDER BY ${sortKey} ${direction}, name ${direction} LIMIT @take`,
    ).all({
      group: group.id,
      prefix: request.logStreamNamePrefix ?? '',
      cursorName: (cursor?.['name'] as string | undefined) ?? null,
      cursorKey: (cursor?.['key'] as string | number | undefined) ?? null,
      take: limit + 1,
    }) as StreamRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      logStreams: page.map((row) => this.streamView(group.name, row)),
      nextToken:
        rows.length > limit && last
          ? encodePageToken({ name: last.name, key: orderBy === 'LastEventTime' ? (last.last_event_timestamp ?? 0) : '' })
          : undefined,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Events

  /**
   * PutLogEvents with AWS's batch rules. Sequence tokens are no longer checked (AWS stopped in 2023) but one
   * is still returned. Events too far in the future, too old or past the retention are rejected, not stored.
   */
  putLogEvents(groupName: string | undefined, streamName: string | undefined, events: InputLogEvent[] | undefined): PutLogEventsResponse {
    if (events === undefined) throw InvalidParameterException.missing('logEvents');
    if (events.length < 1) throw InvalidParameterException.violated('logEvents', '[]', Constraint.minLength(1));
    if (events.length > LOGS_LIMITS.eventsLimit) {
      throw InvalidParameterException.violated('logEvents', `${events.length} events`, Constraint.maxLength(LOGS_LIMITS.eventsLimit));
    }
    events.forEach((event, index) => {
      if (event.timestamp === undefined) throw InvalidParameterException.missing(`logEvents.${index + 1}.member.timestamp`);
      if (event.message === undefined) throw InvalidParameterException.missing(`logEvents.${index + 1}.member.message`);
      if (event.message.length < 1) {
        throw InvalidParameterException.violated(`logEvents.${index + 1}.member.message`, '', Constraint.minLength(1));
      }
    });
    // AWS words these two as "Log event too large" and "Upload too large", both InvalidParameterException.
    let batchBytes = 0;
    for (const event of events) {
      const eventBytes = Buffer.byteLength(event.message!, 'utf8') + LOGS_LIMITS.eventOverheadBytes;
      if (eventBytes > LOGS_LIMITS.maxEventBytes) {
        throw new InvalidParameterException(`Log event too large: ${eventBytes} bytes exceeds limit of ${LOGS_LIMITS.maxEventBytes}`);
      }
      batchBytes += eventBytes;
    }
    if (batchBytes > LOGS_LIMITS.maxBatchBytes) throw new InvalidParameterException(`Upload too large: ${batchBytes} bytes exceeds limit of ${LOGS_LIMITS.maxBatchBytes}`);
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.timestamp! < events[i - 1]!.timestamp!) {
        throw new InvalidParameterException('Log events in a single PutLogEvents request must be in chronological order.');
      }
    }
    if (events[events.length - 1]!.timestamp! - events[0]!.timestamp! > LOGS_LIMITS.maxBatchSpanMs) {
      throw new InvalidParameterException('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    const stream = this.requireStream(groupName, streamName);
    const group = this.sql('SELECT * FROM logs_groups WHERE id = ?').get(stream.group_id) as GroupRow;
    this.options.disk?.assertWritable();

    const now = this.now();
    const rejected: RejectedLogEventsInfo = {};
    const retentionCutoff = group.retention_days === null ? -Infinity : now - group.retention_days * 86_400_000;
    events.forEach((event, index) => {
      const timestamp = event.timestamp!;
      if (timestamp > now + LOGS_LIMITS.tooNewMs) rejected.tooNewLogEventStartIndex ??= index;
      else if (timestamp < now - LOGS_LIMITS.tooOldMs) rejected.tooOldLogEventEndIndex = index;
      else if (timestamp < retentionCutoff) rejected.expiredLogEventEndIndex = index;
    });
    const accepted = events.filter((event) => {
      const timestamp = event.timestamp!;
      return timestamp <= now + LOGS_LIMITS.tooNewMs && timestamp >= now - LOGS_LIMITS.tooOldMs && timestamp >= retentionCutoff;
    });
    if (accepted.length > 0) this.insertEvents({ groupId: group.id, streamId: stream.id }, accepted);
    const sequence = (this.sql('SELECT upload_sequence FROM logs_streams WHERE id = ?').get(stream.id) as { upload_sequence: number }).upload_sequence;
    return {
      nextSequenceToken: sequenceToken(sequence),
      rejectedLogEventsInfo: Object.keys(rejected).length > 0 ? rejected : undefined,
    };
  }

  /**
   * GetLogEvents. Without a token it reads from the head (startFromHead) or the tail of the time range; the
   * tokens are positions: `f/` reads after one, `b/` before one. At either end AWS hands back the token it was
   * given, which is how clients know to stop; so do we.
   */
  getLogEvents(request: GetLogEventsRequest): GetLogEventsResponse {
    const limit = checkLimit(request.limit, 'limit', LOGS_LIMITS.eventsLimit, LOGS_LIMITS.eventsLimit);
    if (request.logStreamName === undefined) throw InvalidParameterException.missing('logStreamName');
    const stream = this.requireStream(groupNameOf(request), request.logStreamName);
    const token = request.nextToken === undefined ? undefined : parseStreamToken(request.nextToken);
    const forward = token ? token.direction === 'f' : request.startFromHead === true;
    const range = timeRange(request.startTime, request.endTime);
    // Where an empty page leaves the reader: where it was, or before the first event so that polling
    // forward later picks up everything written meanwhile.
    const resting = token?.position ?? { timestamp: -1, id: 0 };
    const position = token?.position ?? (forward ? resting : { timestamp: Number.MAX_SAFE_INTEGER, id: 0 });

    // Read row by row and stopped at AWS's 1 MB: 10,000 rows of 256 KB would otherwise be 2.5 GB in memory.
    const rows = this.sql(
      `SELECT id, timestamp, ingestion_time, message FROM logs_events
       WHERE stream_id = @stream AND timestamp >= @start AND timestamp < @end
         AND (timestamp, id) ${forward ? '>' : '<'} (@timestamp, @id)
       ORDER BY timestamp ${forward ? 'ASC' : 'DESC'}, id ${forward ? 'ASC' : 'DESC'} LIMIT @take`,
    ).iterate({ stream: stream.id, ...range, timestamp: position.timestamp, id: position.id, take: limit }) as IterableIterator<EventRow>;
    const page = takeWithinBytes(rows, (row) => row.message);
    if (!forward) page.reverse();

    const events: OutputLogEvent[] = page.map((row) => ({ timestamp: row.timestamp, message: row.message, ingestionTime: row.ingestion_time }));
    const first = page[0];
    const last = page[page.length - 1];
    return {
      events,
      nextForwardToken: streamToken('f', last ?? resting),
      nextBackwardToken: streamToken('b', first ?? resting),
    };
  }

  /**
   * FilterLogEvents: events of a group (optionally some of its streams) in time order, interleaved across
   * streams, matching a filter pattern. `aws logs tail` polls this. The scan is budgeted as CloudWatch Logs' is:
   * it reads in slices, lets the event loop run between them (and inside a costly match), and once it has spent
   * SCAN_BUDGET's time or bytes it answers with what it found so far (maybe nothing) and a nextToken.
   */
  async filterLogEvents(request: FilterLogEventsRequest): Promise<FilterLogEventsResponse> {
    const limit = checkLimit(request.limit, 'limit', LOGS_LIMITS.eventsLimit, LOGS_LIMITS.eventsLimit);
    if (request.logStreamNames !== undefined && request.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    }
    if (request.logStreamNames !== undefined && (request.logStreamNames.length < 1 || request.logStreamNames.length > LOGS_LIMITS.maxStreamNames)) {
      throw InvalidParameterException.violated('logStreamNames', `${request.logStreamNames.length} names`, Constraint.lengthBetween(1, LOGS_LIMITS.maxStreamNames));
    }
    // AWS answers a pattern over 1,024 characters with the model's length constraint; so do we.
    if (request.filterPattern !== undefined && request.filterPattern.length > LOGS_LIMITS.maxFilterPatternLength) {
      throw InvalidParameterException.violated('filterPattern', `${request.filterPattern.slice(0, 64)}...`, Constraint.maxLength(LOGS_LIMITS.maxFilterPatternLength));
    }
    const matches = compilePattern(request.filterPattern);
    const group = this.requireGroup(groupNameOf(request));
    const cursor = request.nextToken === undefined ? undefined : decodePageToken(request.nextToken);
    if (request.nextToken !== undefined && (typeof cursor?.['t'] !== 'number' || typeof cursor['i'] !== 'number')) throw invalidToken();

    let streamFilter: number[] | undefined;
    if (request.logStreamNames !== undefined || request.logStreamNamePrefix !== undefined) {
      const prefix = request.logStreamNamePrefix;
      const names = request.logStreamNames === undefined ? undefined : new Set(request.logStreamNames);
      const streams = this.sql('SELECT id, name FROM logs_streams WHERE group_id = ?').all(group.id) as { id: number; name: string }[];
      streamFilter = streams.filter((s) => (names ? names.has(s.name) : s.name.startsWith(prefix!))).map((s) => s.id);
    }
    const slice = this.sql(
      `SELECT e.id, e.timestamp, e.ingestion_time, e.message, s.name AS stream_name
       FROM logs_events e JOIN logs_streams s ON s.id = e.stream_id
       WHERE e.group_id = @group AND e.timestamp >= @start AND e.timestamp < @end
         AND (e.timestamp, e.id) > (@timestamp, @id)
         AND (@streams IS NULL OR e.stream_id IN (SELECT value FROM json_each(@streams)))
       ORDER BY e.timestamp, e.id LIMIT @take`,
    );
    const budget = this.scanBudget;
    const range = timeRange(request.startTime, request.endTime);
    const streams = streamFilter === undefined ? null : JSON.stringify(streamFilter);
    let position = { timestamp: (cursor?.['t'] as number | undefined) ?? Number.MIN_SAFE_INTEGER, id: (cursor?.['i'] as number | undefined) ?? 0 };
    const clock = new ScanClock(budget);
    const events: FilteredLogEvent[] = [];
    const searched = new Set<string>();
    let bytes = 0;
    let more = false;
    scan: for (;;) {
      // One query reads a bounded batch and is closed before any pause: the connection is shared.
      const batch = readBatch(
        slice.iterate({ group: group.id, ...range, timestamp: position.timestamp, id: position.id, streams, take: budget.queryRows }) as IterableIterator<FilteredEventRow>,
        budget.queryRows,
        budget.queryBytes,
      );
      for (const row of batch.rows) {
        const matched = await clock.run(matches.steps(row.message));
        if (matched) {
          const size = Buffer.byteLength(row.message) + LOGS_LIMITS.eventOverheadBytes;
          if (events.length >= limit || (events.length > 0 && bytes + size > LOGS_LIMITS.responseBytes)) {
            // The page is full before this row: the next call starts with it.
            more = true;
            break scan;
          }
          bytes += size;
          events.push({ logStreamName: row.stream_name, timestamp: row.timestamp, message: row.message, ingestionTime: row.ingestion_time, eventId: eventId(row.id) });
        }
        position = { timestamp: row.timestamp, id: row.id };
        searched.add(row.stream_name);
        clock.scanned(row.message.length);
        if (clock.spent()) {
          more = true;
          break scan;
        }
        await clock.pauseIfDue();
      }
      if (batch.complete) break;
    }
    return {
      events,
      searchedLogStreams: [...searched].map((logStreamName) => ({ logStreamName, searchedCompletely: !more })),
      nextToken: more ? encodePageToken({ t: position.timestamp, i: position.id }) : undefined,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // The ingestion path for other services (the Lambda runtime writes every function log line here)

  ensureStream(groupName: string, streamName: string): void {
    this.resolveStream(groupName, streamName);
  }

  putEvents(groupName: string, streamName: string, events: { timestamp: number; message: string }[]): void {
    // On a full disk, function log lines are lost (they would eat the room deletes need); cloud.log said so once.
    if (events.length === 0 || this.options.disk?.full) return;
    try {
      this.insertEvents(this.resolveStream(groupName, streamName), events);
    } catch (error) {
      // Another process (or DeleteLogGroup) removed the group behind our cache: recreate once and retry.
      if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error;
      this.streamIds.clear();
      this.insertEvents(this.resolveStream(groupName, streamName), events);
    }
  }

  /** Deletes events older than their group's retention; AWS does this lazily too. @returns events deleted */
  expireEvents(): number {
    const now = this.now();
    const groups = this.sql('SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL').all() as { id: number; retention_days: number }[];
    let deleted = 0;
    for (const group of groups) {
      deleted += this.sql('DELETE FROM logs_events WHERE group_id = ? AND timestamp < ?').run(group.id, now - group.retention_days * 86_400_000).changes;
    }
    return deleted;
  }

  // ---------------------------------------------------------------------------------------------------

  private resolveStream(groupName: string, streamName: string): { groupId: number; streamId: number } {
    const cacheKey = `${groupName}\u0000${streamName}`;
    const cached = this.streamIds.get(cacheKey);
    if (cached) return cached;
    const now = this.now();
    this.sql('INSERT OR IGNORE INTO logs_groups (name, creation_time) VALUES (?, ?)').run(groupName, now);
    const group = this.sql('SELECT id FROM logs_groups WHERE name = ?').get(groupName) as { id: number };
    this.sql('INSERT OR IGNORE INTO logs_streams (group_id, name, creation_time) VALUES (?, ?, ?)').run(group.id, streamName, now);
    const stream = this.sql('SELECT id FROM logs_streams WHERE group_id = ? AND name = ?').get(group.id, streamName) as { id: number };
    const ids = { groupId: group.id, streamId: stream.id };
    this.streamIds.set(cacheKey, ids);
    return ids;
  }

  private requireGroup(name: string | undefined): GroupRow {
    if (name === undefined) throw InvalidParameterException.missing('logGroupName');
    const row = this.sql('SELECT * FROM logs_groups WHERE name = ?').get(name) as GroupRow | undefined;
    if (!row) throw ResourceNotFoundException.logGroup();
    return row;
  }

  private requireStream(groupName: string | undefined, streamName: string | undefined): StreamRow {
    if (streamName === undefined) throw InvalidParameterException.missing('logStreamName');
    const group = this.requireGroup(groupName);
    const row = this.sql('SELECT * FROM logs_streams WHERE group_id = ? AND name = ?').get(group.id, streamName) as StreamRow | undefined;
    if (!row) throw ResourceNotFoundException.logStream();
    return row;
  }

  private groupView(row: GroupRow): LogGroup {
    const arn = `arn:aws:logs:${this.options.region}:${this.options.accountId}:log-group:${row.name}`;
    return {
      logGroupName: row.name,
      creationTime: row.creation_time,
      retentionInDays: row.retention_days ?? undefined,
      metricFilterCount: 0,
      arn: `${arn}:*`,
      storedBytes: 0,
      logGroupClass: 'STANDARD',
      logGroupArn: arn,
      deletionProtectionEnabled: false,
    };
  }

  private streamView(groupName: string, row: StreamRow): LogStream {
    return {
      logStreamName: row.name,
      creationTime: row.creation_time,
      firstEventTimestamp: row.first_event_timestamp ?? undefined,
      lastEventTimestamp: row.last_event_timestamp ?? undefined,
      lastIngestionTime: row.last_ingestion_time ?? undefined,
      // A stream nothing was written to has no sequence token in AWS's answer.
      uploadSequenceToken: row.upload_sequence > 0 ? sequenceToken(row.upload_sequence) : undefined,
      arn: `arn:aws:logs:${this.options.region}:${this.options.accountId}:log-group:${groupName}:log-stream:${row.name}`,
      storedBytes: 0,
    };
  }

}

/** `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` or a plain name, as logGroupIdentifier allows. */
export function groupNameFromIdentifier(identifier: string | undefined): string | undefined {
  if (identifier === undefined) return undefined;
  const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(identifier);
  return match ? match[1] : identifier;
}

/**
 * The log group a request names, by logGroupName or logGroupIdentifier (a name or an ARN), never both: AWS answers
 * both with ValidationException; so do we.
 */
function groupNameOf(request: { logGroupName?: string; logGroupIdentifier?: string }): string | undefined {
  if (request.logGroupName !== undefined && request.logGroupIdentifier !== undefined) {
    throw new ValidationException('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  return request.logGroupName ?? groupNameFromIdentifier(request.logGroupIdentifier);
}

function requireGroupName(name: string | undefined): string {
  return requireName(name, 'logGroupName', GROUP_NAME_PATTERN, '[\\.\\-_/#A-Za-z0-9]+');
}

function requireStreamName(name: string | undefined): string {
  return requireName(name, 'logStreamName', STREAM_NAME_PATTERN, '[^:*]*');
}

/** A group or stream name: present, 1 to 512 characters, and of its pattern (`shown` as AWS writes it). */
function requireName(name: string | undefined, member: string, pattern: RegExp, shown: string): string {
  if (name === undefined) throw InvalidParameterException.missing(member);
  if (name.length > 512) throw new InvalidParameterException('Invalid LogGroup or LogStream, both must have length less than or equal to 512.');
  if (name.length < 1) throw InvalidParameterException.violated(member, name, Constraint.lengthBetween(1, 512));
  if (!pattern.test(name)) throw InvalidParameterException.violated(member, name, Constraint.pattern(shown));
  return name;
}

function checkLimit(value: number | undefined, member: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (value < 1) throw InvalidParameterException.violated(member, value, Constraint.minValue(1));
  if (value > max) throw InvalidParameterException.violated(member, value, Constraint.maxValue(max));
  return value;
}

/** AWS: startTime is inclusive, endTime exclusive. */
function timeRange(startTime: number | undefined, endTime: number | undefined): { start: number; end: number } {
  return { start: startTime ?? Number.MIN_SAFE_INTEGER, end: endTime ?? Number.MAX_SAFE_INTEGER };
}

function compilePattern(pattern: string | undefined): LogEventMatcher {
  try {
    return compileFilterPattern(pattern);
  } catch (error) {
    if (error instanceof FilterPatternError) throw new InvalidParameterException(`Invalid filter pattern: ${error.message}`);
    throw error;
  }
}

function invalidToken(): InvalidParameterException {
  return new InvalidParameterException('The specified nextToken is invalid.');
}

function readCursor(token: string, member: string): string {
  const value = decodePageToken(token)?.[member];
  if (typeof value !== 'string') throw invalidToken();
  return value;
}

function parseStreamToken(token: string): { direction: 'f' | 'b'; position: StreamPosition } {
  const match = STREAM_TOKEN_PATTERN.exec(token);
  if (!match) throw invalidToken();
  return { direction: match[1] as 'f' | 'b', position: { timestamp: Number(match[2]) - 1, id: Number(match[3]) } };
}

/** Timestamps are stored shifted by one so the "before everything" position (-1) still fits in digits. */
function streamToken(direction: 'f' | 'b', position: StreamPosition): string {
  const timestamp = Math.min(Math.max(position.timestamp + 1, 0), 10 ** 20 - 1);
  return `${direction}/${String(timestamp).padStart(20, '0')}${String(position.id).padStart(36, '0')}`;
}

function sequenceToken(sequence: number): string {
  return String(sequence).padStart(56, '0');
}

function eventId(id: number): string {
  return String(id).padStart(56, '0');
}

/** Keeps rows while the response stays within AWS's 1 MB (always at least one row), and stops reading there. */
function takeWithinBytes<T>(rows: IterableIterator<T>, message: (row: T) => string): T[] {
  let bytes = 0;
  const kept: T[] = [];
  for (const row of rows) {
    bytes += Buffer.byteLength(message(row)) + LOGS_LIMITS.eventOverheadBytes;
    if (kept.length > 0 && bytes > LOGS_LIMITS.responseBytes) break;
    kept.push(row);
  }
  // Stop the statement if we broke out early, so the connection is free for the next call.
  rows.return?.();
  return kept;
}

/** Up to `take` rows, stopping early past `maxBytes` of messages; `complete` when the query ran dry (nothing after). */
function readBatch<T extends { message: string }>(rows: IterableIterator<T>, take: number, maxBytes: number): { rows: T[]; complete: boolean } {
  const batch: T[] = [];
  let bytes = 0;
  let stopped = false;
  for (const row of rows) {
    batch.push(row);
    bytes += row.message.length;
    if (bytes >= maxBytes) {
      stopped = true;
      break;
    }
  }
  // Stop the statement if we broke out early, so the connection is free for the next call.
  rows.return?.();
  return { rows: batch, complete: !stopped && batch.length < take };
}

/**
 * Keeps a scan to its budget: how long it has run and how much it has read, and when it is due to let the event
 * loop run (every SCAN_BUDGET.sliceMs of work).
 */
class ScanClock {
  private readonly started = Date.now();
  private sliceStarted = this.started;
  private bytes = 0;

  constructor(private readonly budget: ScanBudget) {}

  scanned(bytes: number): void {
    this.bytes += bytes;
  }

  /** True once the request has used its time or its bytes. */
  spent(): boolean {
    return this.bytes >= this.budget.requestBytes || Date.now() - this.started >= this.budget.requestMs;
  }

  /** Lets the event loop run when the current slice has lasted sliceMs. */
  async pauseIfDue(): Promise<void> {
    if (Date.now() - this.sliceStarted < this.budget.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStarted = Date.now();
  }

  /** Runs a stepwise match to its verdict, pausing between its steps whenever a slice is over. */
  async run(steps: Generator<void, boolean, void>): Promise<boolean> {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await this.pauseIfDue();
    }
  }
}
