// What the invocations a set of traces describes would cost on AWS, per 1,000 thumbnails: billed duration
// (rounded up to the millisecond, INIT included) × memory × the architecture's GB-second price, plus the Lambda
// request, the function's S3 GET and PUTs, the X-Ray trace and the CloudWatch Logs bytes. Pure arithmetic over
// TraceRows and prices.ts; it reads nothing and does not guess what was not measured (logs unknown → null).
import type { Architecture } from '../settings.js';
import type { TraceRow } from '../traces/analyse.js';
import { PRICES, priceTableSummary, type PriceTable } from './prices.js';

export interface CostInputs {
  rows: readonly TraceRow[];
  memoryMb: number;
  architecture: Architecture;
  /** CloudWatch Logs bytes each invocation ingested (message bytes + per-event overhead); null when not read. */
  logBytesPerInvocation: number | null;
  prices?: PriceTable;
}

/** USD per 1,000 thumbnails, by line; `total` sums them (logs counted as 0 when unknown, and said so). */
export interface CostPer1000 {
  lambdaDuration: number;
  lambdaRequests: number;
  s3Get: number;
  s3Put: number;
  xrayTraces: number;
  logsIngestion: number | null;
  total: number;
}

export interface CostEstimate {
  /** Traces the estimate is over (those with a measured invocation). */
  invocations: number;
  /** Traces left out because their invocation was not recorded (partial traces). */
  excluded: number;
  memoryMb: number;
  architecture: Architecture;
  /** Mean billed duration per invocation, ms (each rounded up to the ms, init included). */
  billedMsMean: number | null;
  /** Mean GB-seconds per invocation. */
  gbSecondsMean: number | null;
  logBytesPerInvocation: number | null;
  per1000: CostPer1000;
  prices: ReturnType<typeof priceTableSummary>;
}

/** Billed duration of one invocation: Lambda rounds up to the next millisecond and, since August 2025, bills init. */
export function billedMs(row: Pick<TraceRow, 'phases'>): number | null {
  const { invocationMs, initMs } = row.phases;
  if (invocationMs === null) return null;
  return Math.max(1, Math.ceil(invocationMs + (initMs ?? 0) - 1e-9));
}

/** GB-seconds of one invocation: billed seconds × memory in GB (1 GB = 1,024 MB, as Lambda counts it). */
export function gbSeconds(billed: number, memoryMb: number): number {
  return (billed / 1000) * (memoryMb / 1024);
}

/** The function's PUTs for one upload: one per thumbnail it made (variants make several). */
function putsOf(row: TraceRow): number {
  return row.variants ? Math.max(1, row.variants.resizes.length) : 1;
}

export function estimateCost(inputs: CostInputs): CostEstimate {
  const prices = inputs.prices ?? PRICES;
  const measured = inputs.rows.flatMap((row) => {
    const billed = billedMs(row);
    return billed === null ? [] : [{ row, billed }];
  });
  const n = measured.length;
  const gbSecondPrice = prices.lambda.gbSecond[inputs.architecture];
  let duration = 0;
  let requests = 0;
  let gets = 0;
  let puts = 0;
  let billedTotal = 0;
  for (const { row, billed } of measured) {
    billedTotal += billed;
    duration += gbSeconds(billed, inputs.memoryMb) * gbSecondPrice;
    // Each attempt of an asynchronous event is a request Lambda bills.
    requests += Math.max(1, row.attempts) * prices.lambda.request;
    gets += prices.s3.get;
    puts += putsOf(row) * prices.s3.put;
  }
  const per = (sum: number): number => (n === 0 ? 0 : (sum / n) * 1000);
  const logs = inputs.logBytesPerInvocation === null ? null : (inputs.logBytesPerInvocation / 1024 ** 3) * prices.logs.ingestedGb * 1000;
  const per1000: CostPer1000 = {
    lambdaDuration: per(duration),
    lambdaRequests: per(requests),
    s3Get: per(gets),
    s3Put: per(puts),
    xrayTraces: n === 0 ? 0 : prices.xray.traceRecorded * 1000,
    logsIngestion: n === 0 ? null : logs,
    total: 0,
  };
  per1000.total = per1000.lambdaDuration + per1000.lambdaRequests + per1000.s3Get + per1000.s3Put + per1000.xrayTraces + (per1000.logsIngestion ?? 0);
  return {
    invocations: n,
    excluded: inputs.rows.length - n,
    memoryMb: inputs.memoryMb,
    architecture: inputs.architecture,
    billedMsMean: n === 0 ? null : billedTotal / n,
    gbSecondsMean: n === 0 ? null : gbSeconds(billedTotal / n, inputs.memoryMb),
    logBytesPerInvocation: inputs.logBytesPerInvocation,
    per1000,
    prices: priceTableSummary(prices),
  };
}

/** Log bytes per invocation as CloudWatch counts them: each event's UTF-8 message plus its metadata overhead. */
export function logBytesPerInvocation(messages: readonly string[], invocations: number, prices: PriceTable = PRICES): number | null {
  if (invocations <= 0) return null;
  let bytes = 0;
  for (const message of messages) bytes += Buffer.byteLength(message, 'utf8') + prices.logs.eventOverheadBytes;
  return bytes / invocations;
}

/** `$0.0123` with enough digits to read a sub-cent figure. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return '–';
  if (usd === 0) return '$0';
  const digits = usd >= 1 ? 2 : Math.min(8, 2 - Math.floor(Math.log10(usd))); // three significant digits
  return `$${usd.toFixed(digits)}`;
}

/** Two lines for people: the total per 1,000 and its parts, then where the prices come from. */
export function renderCost(cost: CostEstimate): string {
  if (cost.invocations === 0) return 'cost per 1,000 thumbnails: no measured invocation to estimate from';
  const p = cost.per1000;
  const parts = [
    `Lambda duration ${formatUsd(p.lambdaDuration)} (${cost.billedMsMean?.toFixed(1)} ms billed × ${cost.memoryMb} MB, ${cost.architecture})`,
    `requests ${formatUsd(p.lambdaRequests)}`,
    `S3 GET ${formatUsd(p.s3Get)}`,
    `S3 PUT ${formatUsd(p.s3Put)}`,
    `X-Ray ${formatUsd(p.xrayTraces)}`,
    p.logsIngestion === null ? 'Logs not read (not counted)' : `Logs ${formatUsd(p.logsIngestion)} (${Math.round(cost.logBytesPerInvocation ?? 0)} B each)`,
  ];
  return (
    `cost per 1,000 thumbnails: ${formatUsd(p.total)} = ${parts.join(' + ')}\n` +
    `  prices: ${cost.prices.region} on-demand list prices read ${cost.prices.takenOn} (${cost.prices.sources.join(', ')}); no free tier`
  );
}
