// What a Lambda function is in the local cloud: the record the store persists, and the views of it the API shows
// (FunctionConfiguration with State and LastUpdateStatus derived from timestamps, not timers). Pure: no storage,
// no HTTP.
import { createHash } from 'node:crypto';
import type { FunctionConfiguration, LoggingConfig } from '@aws-sdk/client-lambda';
import { defaultLogGroup } from '../../runtime/log-format.js';
import type { PolicyStatement } from './policy.js';

/** What is persisted for a function (one JSON document per row). */
export interface StoredFunction {
  name: string;
  runtime: string;
  handler: string;
  role: string;
  description: string;
  memorySize: number;
  timeout: number;
  /** undefined when the function never had an Environment. */
  variables?: Record<string, string>;
  tracingMode: 'Active' | 'PassThrough';
  logging: { LogFormat: 'Text' | 'JSON'; LogGroup: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  architectures: string[];
  ephemeralStorageMb: number;
  codeSha256Hex: string;
  codeSize: number;
  revisionId: string;
  /** Changes on code or configuration changes only (not on policy or tag changes): environments key on it. */
  generation: string;
  lastModified: number;
  /** Pending until then. */
  readyAt: number;
  /** Set when the package CreateFunction stored could not be unpacked: the function is Failed, this is why. */
  createFailure?: string;
  /** InProgress until then; undefined before the first update. */
  updateReadyAt?: number;
  policy: PolicyStatement[];
  tags: Record<string, string>;
}

/** `2026-11-26T21:52:42.123+0000`, Lambda's LastModified format. */
export function formatLastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The function as the API shows it, with State and LastUpdateStatus as of `now`. */
export function functionConfiguration(fn: StoredFunction, functionArn: string, now: number = Date.now()): FunctionConfiguration {
  const pending = now < fn.readyAt;
  const updating = fn.updateReadyAt !== undefined && now < fn.updateReadyAt;
  const configuration: FunctionConfiguration = {
    FunctionName: fn.name,
    FunctionArn: functionArn,
    Runtime: fn.runtime as FunctionConfiguration['Runtime'],
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: formatLastModified(fn.lastModified),
    CodeSha256: Buffer.from(fn.codeSha256Hex, 'hex').toString('base64'),
    Version: '$LATEST',
    TracingConfig: { Mode: fn.tracingMode },
    RevisionId: fn.revisionId,
    State: pending ? 'Pending' : fn.createFailure !== undefined ? 'Failed' : 'Active',
    PackageType: 'Zip',
    Architectures: fn.architectures as FunctionConfiguration['Architectures'],
    EphemeralStorage: { Size: fn.ephemeralStorageMb },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: fn.logging as LoggingConfig,
    // AWS names the runtime version it runs; ours is named after the runtime, one per region.
    RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${functionArn.split(':')[3]}::runtime:${createHash('sha256').update(fn.runtime).digest('hex')}` },
  };
  if (fn.variables !== undefined) configuration.Environment = { Variables: { ...fn.variables } };
  if (pending) {
    configuration.StateReason = 'The function is being created.';
    configuration.StateReasonCode = 'Creating';
  } else if (fn.createFailure !== undefined) {
    configuration.StateReason = fn.createFailure;
    configuration.StateReasonCode = 'InvalidZipFileException';
  }
  if (updating) {
    // AWS words an update in progress as a creation; so do we.
    configuration.LastUpdateStatus = 'InProgress';
    configuration.LastUpdateStatusReason = 'The function is being created.';
    configuration.LastUpdateStatusReasonCode = 'Creating' as FunctionConfiguration['LastUpdateStatusReasonCode'];
  } else if (!pending) {
    configuration.LastUpdateStatus = 'Successful';
  }
  return configuration;
}

/** A function's logging settings after a LoggingConfig update (JSON format brings default log levels). */
export function mergeLogging(current: StoredFunction['logging'] | undefined, name: string, update: LoggingConfig | undefined): StoredFunction['logging'] {
  const merged: StoredFunction['logging'] = { ...(current ?? { LogFormat: 'Text', LogGroup: defaultLogGroup(name) }) };
  if (update?.LogFormat !== undefined) merged.LogFormat = update.LogFormat === 'JSON' ? 'JSON' : 'Text';
  if (update?.LogGroup !== undefined) merged.LogGroup = update.LogGroup;
  if (update?.ApplicationLogLevel !== undefined) merged.ApplicationLogLevel = update.ApplicationLogLevel;
  if (update?.SystemLogLevel !== undefined) merged.SystemLogLevel = update.SystemLogLevel;
  if (merged.LogFormat === 'JSON') {
    merged.ApplicationLogLevel ??= 'INFO';
    merged.SystemLogLevel ??= 'INFO';
  }
  return merged;
}
