// Lambda's parameter rules, with AWS's codes and wording: constraint failures are ValidationException
// (`1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: ...`), semantic
// ones InvalidParameterValueException. Pure functions; role trust and code checks live elsewhere.
import type { Runtime } from '@aws-sdk/client-lambda';
import { invalidParameter, invalidRequestContent, validationErrors } from './errors.js';

export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const FUNCTION_NAME_REGEX = new RegExp(`^${FUNCTION_NAME_PATTERN}$`);
export const ROLE_PATTERN = 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+';
const ROLE_REGEX = new RegExp(`^${ROLE_PATTERN}$`);

/** Every runtime the Lambda API knows (it accepts these names). */
export const KNOWN_RUNTIMES = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'nodejs26.x',
  'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14', 'python3.15',
  'java8.al2', 'java11', 'java17', 'java21', 'java25', 'java8.al2023', 'java11.al2023', 'java17.al2023',
  'dotnet8', 'dotnet10', 'ruby3.2', 'ruby3.3', 'ruby3.4', 'ruby4.0', 'provided.al2', 'provided.al2023',
  // Deprecated: known, but refused for new functions and updates.
  'nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x',
  'python2.7', 'python3.6', 'python3.7', 'python3.8', 'java8', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1',
  'dotnet6', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided',
] as const satisfies readonly Runtime[];

const DEPRECATED_RUNTIMES = new Set<string>([
  'nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x',
  'python2.7', 'python3.6', 'python3.7', 'python3.8', 'java8', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1',
  'dotnet6', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided',
]);

const SUCCESSORS: [prefix: string, successor: string][] = [
  ['nodejs', 'nodejs22.x'], ['python', 'python3.13'], ['java', 'java21'], ['dotnet', 'dotnet8'],
  ['ruby', 'ruby3.3'], ['go', 'provided.al2023'], ['provided', 'provided.al2023'],
];

/** Lambda's reserved environment variables: a function may not set them. */
export const RESERVED_VARIABLES = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

export interface FunctionIdentifier {
  name: string;
  qualifier?: string;
}

/**
 * Reads a FunctionName parameter: a name, a full ARN or a partial ARN, optionally qualified.
 * @param value - the parameter as sent
 * @param field - its name in AWS's messages (`functionName`)
 */
export function parseFunctionIdentifier(value: string, field = 'functionName'): FunctionIdentifier {
  const match = FUNCTION_NAME_REGEX.exec(value);
  if (!match || value.length > 170) {
    throw validationErrors([`Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`]);
  }
  const name = match[7]!;
  if (name.length > 64) {
    throw validationErrors([`Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to 64`]);
  }
  return { name, qualifier: match[9] };
}

/** The settings both CreateFunction and UpdateFunctionConfiguration accept. */
export interface FunctionSettingsInput {
  Runtime?: string;
  Handler?: string;
  Role?: string;
  MemorySize?: number;
  Timeout?: number;
  Description?: string;
  Environment?: { Variables?: Record<string, string> };
  TracingConfig?: { Mode?: string };
  Architectures?: string[];
}

/**
 * Checks the constraint-level rules (ValidationException, all problems at once, as AWS lists them), then the
 * semantic ones (InvalidParameterValueException).
 */
export function validateFunctionSettings(input: FunctionSettingsInput): void {
  const problems: string[] = [];
  if (input.Runtime !== undefined && !(KNOWN_RUNTIMES as readonly string[]).includes(input.Runtime)) {
    problems.push(
      `Value '${input.Runtime}' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${KNOWN_RUNTIMES.filter((r) => !DEPRECATED_RUNTIMES.has(r)).join(', ')}] or be a valid ARN`,
    );
  }
  if (input.Handler !== undefined) {
    if (input.Handler.length > 128) problems.push(`Value '${input.Handler}' at 'handler' failed to satisfy constraint: Member must have length less than or equal to 128`);
    else if (!/^[^\s]+$/.test(input.Handler)) problems.push(`Value '${input.Handler}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+`);
  }
  if (input.Role !== undefined && !ROLE_REGEX.test(input.Role)) {
    problems.push(`Value '${input.Role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_PATTERN}`);
  }
  if (input.MemorySize !== undefined) {
    if (!Number.isInteger(input.MemorySize) || input.MemorySize < 128) {
      problems.push(`Value '${input.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128`);
    } else if (input.MemorySize > 10240) {
      problems.push(`Value '${input.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240`);
    }
  }
  if (input.Timeout !== undefined) {
    if (!Number.isInteger(input.Timeout) || input.Timeout < 1) {
      problems.push(`Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    } else if (input.Timeout > 900) {
      problems.push(`Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`);
    }
  }
  if (input.Description !== undefined && input.Description.length > 256) {
    problems.push(`Value '${input.Description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256`);
  }
  const mode = input.TracingConfig?.Mode;
  if (mode !== undefined && mode !== 'Active' && mode !== 'PassThrough') {
    problems.push(`Value '${mode}' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]`);
  }
  const variables = input.Environment?.Variables ?? {};
  const badKeys = Object.keys(variables).filter((key) => !/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(key));
  if (badKeys.length > 0) {
    problems.push(
      `Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]`,
    );
  }
  if (input.Architectures !== undefined) {
    if (input.Architectures.length !== 1) {
      problems.push(`Value '[${input.Architectures.join(', ')}]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1`);
    } else if (input.Architectures[0] !== 'x86_64' && input.Architectures[0] !== 'arm64') {
      problems.push(`Value '[${input.Architectures[0]}]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]`);
    }
  }
  if (problems.length > 0) throw validationErrors(problems);

  if (input.Runtime !== undefined && DEPRECATED_RUNTIMES.has(input.Runtime)) {
    const successor = SUCCESSORS.find(([prefix]) => input.Runtime!.startsWith(prefix))?.[1] ?? 'nodejs22.x';
    throw invalidParameter(
      `The runtime parameter of ${input.Runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (${successor}) while creating or updating functions.`,
    );
  }
  const reserved = Object.keys(variables).filter((key) => RESERVED_VARIABLES.has(key));
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(variables);
  if (Buffer.byteLength(measured) > 4096) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
}

/**
 * Reads Invoke's ClientContext (the `X-Amz-Client-Context` header): base64 of a JSON document. Returns the JSON
 * text, which is what the Runtime API hands the function (`lambda-runtime-client-context`; every runtime client
 * parses it as JSON), or undefined when none was sent.
 * @param value - the header as sent
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export function decodeClientContext(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  // Padding may be left off (common decoders allow it; whether AWS does is not recorded): accepting is the safer side.
  const text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  try {
    if (text !== undefined) {
      JSON.parse(text);
      return text;
    }
  } catch {
    // Not JSON: refused below.
  }
  // AWS answers 400 with this text to a client context that is not base64, or whose content is not JSON; so do we.
  throw invalidRequestContent('Client context must be a valid Base64-encoded JSON object.');
}
