// The core of `thumbctl demo`, the course demo in one go: setup on the local cloud, the bundled canyon photo
// uploaded at two sizes (thumbnails saved beside the state), and the X-Ray summary of those two invocations.
// It composes the provisioning, upload and traces cores; it reports through a Reporter and never prints.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter } from '../../output.js';
import type { AwsClients } from '../clients.js';
import type { ResolvedSettings } from '../settings.js';
import { setup, type Pace, type SetupResult } from '../provision/index.js';
import { collectTracesReport } from '../traces/report.js';
import type { TraceRow, TracesSummary } from '../traces/analyse.js';
import { samplePhotoPath } from '../paths.js';
import { prepareUpload, uploadImage, type UploadResult } from './upload.js';

/** The course uploads canyon.jpg at 400x400; the second size shows a warm invocation and a non-square crop. */
export const DEMO_SIZES = ['400x400', '200x150'] as const;
/** How long each demo upload may take (a cold start included), and how long to wait for its traces. */
export const DEMO_WAITS = { uploadMs: 60_000, tracesMs: 15_000 } as const;

export interface DemoRequest {
  clients: AwsClients;
  settings: ResolvedSettings;
  account: string;
  region: string;
  endpoint?: string;
  stateDir: string;
  /** Built packages and fetched binaries: <state-dir>/cache. */
  cacheDir: string;
  pace?: Pace;
  /** The photo to upload (default: the bundled assets/canyon.jpg). */
  image?: string;
  sizes?: readonly string[];
}

export interface DemoUpload extends UploadResult {
  /** Whether X-Ray saw a cold start for this upload (null when its trace was not found). */
  coldStart: boolean | null;
  /** Where the thumbnail was saved. */
  savedTo: string | null;
}

/** `demo --json`. */
export interface DemoResult {
  target: 'local';
  region: string;
  endpoint: string | null;
  stateDir: string;
  setup: SetupResult;
  uploads: DemoUpload[];
  traces: { summary: TracesSummary; traces: TraceRow[]; notes: string[] };
  durationMs: number;
}

export async function runDemo(request: DemoRequest, reporter: Reporter): Promise<DemoResult> {
  const started = Date.now();
  const { clients, settings } = request;

  const setupResult = await setup({
    clients,
    settings,
    account: request.account,
    region: request.region,
    target: 'local',
    endpoint: request.endpoint,
    reporter,
    cacheDir: request.cacheDir,
    pace: request.pace,
  });

  const image = request.image ?? samplePhotoPath();
  const saveDir = join(request.stateDir, 'demo');
  await mkdir(saveDir, { recursive: true });
  const uploadsStarted = Date.now();
  const uploads: DemoUpload[] = [];
  for (const size of request.sizes ?? DEMO_SIZES) {
    const prepared = await prepareUpload({ file: image, size, out: saveDir, wait: true, timeoutMs: DEMO_WAITS.uploadMs }, settings, reporter);
    const { result, savedTo } = await uploadImage(clients, settings, prepared, reporter);
    uploads.push({ ...result, coldStart: null, savedTo: savedTo ?? null });
  }

  // Only this run's invocations: the window opens a second before the first upload.
  const report = await collectTracesReport(
    clients.xray,
    {
      functionName: settings.functionName,
      target: 'local',
      options: { sinceMs: Date.now() - uploadsStarted + 1000, limit: uploads.length * 4, traceIds: [], serviceMap: false, wait: uploads.length },
      serviceMap: false,
      waitTimeoutMs: DEMO_WAITS.tracesMs,
      waitIntervalMs: 200,
    },
    reporter,
  );
  for (const upload of uploads) {
    // Rows are newest first; an upload's own invocation is the newest trace for its key.
    upload.coldStart = report.traces.find((row) => row.key === upload.sourceKey)?.coldStart ?? null;
  }

  return {
    target: 'local',
    region: request.region,
    endpoint: request.endpoint ?? null,
    stateDir: request.stateDir,
    setup: setupResult,
    uploads,
    traces: { summary: report.summary, traces: report.traces, notes: report.notes },
    durationMs: Date.now() - started,
  };
}
