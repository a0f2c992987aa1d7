// Reads what a cost estimate needs beyond the traces, through the same AWS APIs on AWS and on the local cloud:
// the function's configured memory and architecture (GetFunctionConfiguration) and how many CloudWatch Logs
// bytes an invocation wrote (its log group over the window, per REPORT line). It estimates nothing itself.
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Architecture } from '../settings.js';
import { filterLogEvents, logGroupName } from '../operate/logs.js';
import { estimateCost, logBytesPerInvocation, type CostEstimate } from './estimate.js';
import type { TraceRow } from '../traces/analyse.js';

export interface CostClients {
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
}

export interface FunctionSizing {
  memoryMb: number;
  architecture: Architecture;
  /** True when read from the deployed function; false when the settings' values stand in (and a note says so). */
  deployed: boolean;
}

/** The deployed function's memory and architecture, or the settings' when it cannot be read. */
export async function readFunctionSizing(lambda: LambdaClient, functionName: string, fallback: { memory: number; architecture: Architecture }): Promise<FunctionSizing> {
  try {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const architecture = config.Architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64';
    return { memoryMb: config.MemorySize ?? fallback.memory, architecture, deployed: true };
  } catch {
    return { memoryMb: fallback.memory, architecture: fallback.architecture, deployed: false };
  }
}

/** CloudWatch Logs bytes per invocation over the window (null when the log group is missing or holds no REPORT line). */
export async function readLogBytesPerInvocation(logs: CloudWatchLogsClient, functionName: string, window: { start: Date; end: Date }): Promise<number | null> {
  try {
    const events = await filterLogEvents(logs, { logGroupName: logGroupName(functionName), startTime: window.start.getTime(), endTime: window.end.getTime() + 1000 });
    const reports = events.filter((event) => event.message.startsWith('REPORT RequestId:')).length;
    return logBytesPerInvocation(events.map((event) => event.message), reports);
  } catch {
    return null;
  }
}

/** Sizing and log bytes read, then the estimate over the rows, with sentences on what stood in for what. */
export async function measureCost(
  clients: CostClients,
  request: { functionName: string; rows: readonly TraceRow[]; window: { start: Date; end: Date }; fallback: { memory: number; architecture: Architecture } },
): Promise<{ cost: CostEstimate; notes: string[] }> {
  const notes: string[] = [];
  const sizing = await readFunctionSizing(clients.lambda, request.functionName, request.fallback);
  if (!sizing.deployed) notes.push(`cost: could not read ${request.functionName}'s configuration; estimated at the settings' ${sizing.memoryMb} MB ${sizing.architecture}`);
  const logBytes = await readLogBytesPerInvocation(clients.logs, request.functionName, request.window);
  if (logBytes === null) notes.push('cost: no CloudWatch Logs REPORT lines read for the window; log ingestion not counted');
  return { cost: estimateCost({ rows: request.rows, memoryMb: sizing.memoryMb, architecture: sizing.architecture, logBytesPerInvocation: logBytes }), notes };
}
