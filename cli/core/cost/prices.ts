// The AWS list prices the cost estimates use: us-east-1, on-demand, in one table, with the date they were read
// and the page each comes from. It holds no free tier (an estimate per 1,000 thumbnails is of the paid rate) and
// no other region: change a figure here, with its date and source, and every estimate follows.

export interface PriceTable {
  region: 'us-east-1';
  /** The day the figures were read from the pages below (YYYY-MM-DD). */
  takenOn: string;
  currency: 'USD';
  lambda: {
    /** Per GB-second of billed duration × configured memory (GB = 1,024 MB), by architecture. */
    gbSecond: { x86_64: number; arm64: number };
    /** Per request (invocation). */
    request: number;
    source: string;
  };
  s3: {
    /** S3 Standard, per request: PUT, COPY, POST, LIST. */
    put: number;
    /** S3 Standard, per request: GET, SELECT and all other requests. */
    get: number;
    source: string;
  };
  xray: {
    /** Per trace recorded. */
    traceRecorded: number;
    source: string;
  };
  logs: {
    /** CloudWatch Logs Standard ingestion, per GB (the first tier of Lambda's vended-log pricing: first 10 TB a month). */
    ingestedGb: number;
    /** CloudWatch counts each event's message bytes plus this much metadata as ingested. */
    eventOverheadBytes: number;
    source: string;
  };
  /** Lambda bills the INIT phase of on-demand functions on managed runtimes too (since 1 August 2025). */
  initBilledSince: string;
  notes: string[];
}

export const PRICES: PriceTable = {
  region: 'us-east-1',
  takenOn: '2026-12-03',
  currency: 'USD',
  lambda: {
    // $0.0000166667 per GB-second (x86), $0.0000133334 (Arm), $0.20 per 1M requests.
    gbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
    request: 0.2 / 1_000_000,
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  s3: {
    // S3 Standard: $0.005 per 1,000 PUT/COPY/POST/LIST requests, $0.0004 per 1,000 GET/SELECT and other requests.
    put: 0.005 / 1_000,
    get: 0.0004 / 1_000,
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  xray: {
    // $5.00 per 1 million traces recorded ($0.000005 per trace).
    traceRecorded: 5 / 1_000_000,
    source: 'https://aws.amazon.com/xray/pricing/',
  },
  logs: {
    // $0.50 per GB ingested (Standard class; Lambda logs' first tier since 1 May 2025 is the same rate).
    ingestedGb: 0.5,
    eventOverheadBytes: 26,
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  initBilledSince: '2025-08-01',
  notes: [
    'on-demand list prices, no free tier, no Savings Plans',
    'the S3 requests are the function\'s GetObject of the original and PutObject of each thumbnail; the upload itself and storage are not counted',
    'AWS renders the rate tables of these pages client-side; the figures were read from the pages\' text and worked examples and agree with AWS\'s published price-list rates for us-east-1',
  ],
};

/** The table as `--json` shows it beside each estimate. */
export function priceTableSummary(table: PriceTable = PRICES): { region: string; takenOn: string; currency: string; sources: string[] } {
  return { region: table.region, takenOn: table.takenOn, currency: table.currency, sources: [table.lambda.source, table.s3.source, table.xray.source, table.logs.source] };
}
