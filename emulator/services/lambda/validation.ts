// Lambda's parameter rules, with AWS's codes and wording: constraint failures are ValidationException
// (`1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: ...`), semantic
// ones InvalidParameterValueException. Pure functions; role trust and code checks live elsewhere.
import type { Runtime } from '@aws-sdk/client-lambda';
import { Constraint, constraintMessage, VALUE_NOT_SHOWN, type ConstraintViolation } from '../../core/constraints.js';
import { InvalidParameterValueException, InvalidRequestContentException, ValidationException } from './errors.js';

/** FunctionName as Lambda's model writes it (AWS quotes this text in its message); the name is group 11, the qualifier 13. */
export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const FUNCTION_NAME_REGEX = new RegExp(`^${FUNCTION_NAME_PATTERN}$`);
/** A Qualifier parameter, as the model writes it. */
export const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
export const ROLE_PATTERN = 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+';
const ROLE_REGEX = new RegExp(`^${ROLE_PATTERN}$`);

/** Runtimes the Lambda API accepts for new functions and updates (its enum, in the order its message lists them). */
const SUPPORTED_RUNTIMES = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'nodejs26.x',
  'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14', 'python3.15',
  'java8.al2', 'java11', 'java17', 'java21', 'java25', 'java8.al2023', 'java11.al2023', 'java17.al2023',
  'dotnet8', 'dotnet10', 'ruby3.2', 'ruby3.3', 'ruby3.4', 'ruby4.0', 'provided.al2', 'provided.al2023',
] as const satisfies readonly Runtime[];

/** Deprecated runtimes: known, but refused for new functions and updates. */
const DEPRECATED_RUNTIMES = [
  'nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x',
  'python2.7', 'python3.6', 'python3.7', 'python3.8', 'java8', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1',
  'dotnet6', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided',
] as const satisfies readonly Runtime[];

/** Every runtime the Lambda API knows (it accepts these names). */
export const KNOWN_RUNTIMES: readonly Runtime[] = [...SUPPORTED_RUNTIMES, ...DEPRECATED_RUNTIMES];

const DEPRECATED = new Set<string>(DEPRECATED_RUNTIMES);

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
 * @param maxLength - the parameter's length limit in the model: 140 for CreateFunction, 170 elsewhere
 */
export function parseFunctionIdentifier(value: string, field = 'functionName', maxLength = 170): FunctionIdentifier {
  if (value.length > maxLength) throw ValidationException.violated(field, value, Constraint.maxLength(maxLength));
  const match = FUNCTION_NAME_REGEX.exec(value);
  if (!match) throw ValidationException.violated(field, value, Constraint.pattern(FUNCTION_NAME_PATTERN));
  const name = match[11]!;
  // AWS answers a name over 64 characters with InvalidParameterValueException, in the constraint's words; so do we.
  if (name.length > 64) throw new InvalidParameterValueException(constraintMessage([{ member: field, value, constraint: Constraint.maxLength(64) }]));
  return { name, qualifier: match[13] };
}

/** A Qualifier parameter must match the model's pattern (ValidationException). */
export function checkQualifier(qualifier: string | undefined): void {
  if (qualifier !== undefined && !new RegExp(`^(${QUALIFIER_PATTERN})$`).test(qualifier)) {
    throw ValidationException.violated('qualifier', qualifier, Constraint.pattern(QUALIFIER_PATTERN));
  }
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
  const problems: ConstraintViolation[] = [];
  const broken = (member: string, value: ConstraintViolation['value'], constraint: string): number => problems.push({ member, value, constraint });
  if (input.Handler !== undefined) {
    if (input.Handler.length > 128) broken('handler', input.Handler, Constraint.maxLength(128));
    else if (!/^[^\s]+$/.test(input.Handler)) broken('handler', input.Handler, Constraint.pattern('[^\\s]+'));
  }
  if (input.Role !== undefined && !ROLE_REGEX.test(input.Role)) broken('role', input.Role, Constraint.pattern(ROLE_PATTERN));
  if (input.MemorySize !== undefined) {
    if (!Number.isInteger(input.MemorySize) || input.MemorySize < 128) broken('memorySize', input.MemorySize, Constraint.minValue(128));
    else if (input.MemorySize > 10240) broken('memorySize', input.MemorySize, Constraint.maxValue(10240));
  }
  if (input.Timeout !== undefined) {
    if (!Number.isInteger(input.Timeout) || input.Timeout < 1) broken('timeout', input.Timeout, Constraint.minValue(1));
    else if (input.Timeout > 900) broken('timeout', input.Timeout, Constraint.maxValue(900));
  }
  if (input.Description !== undefined && input.Description.length > 256) broken('description', input.Description, Constraint.maxLength(256));
  const mode = input.TracingConfig?.Mode;
  if (mode !== undefined && mode !== 'Active' && mode !== 'PassThrough') broken('tracingConfig.mode', mode, Constraint.oneOf(['Active', 'PassThrough']));
  const variables = input.Environment?.Variables ?? {};
  const badKeys = Object.keys(variables).filter((key) => !/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(key));
  if (badKeys.length > 0) {
    // AWS leaves the map out of this message.
    broken('environment.variables', VALUE_NOT_SHOWN, `Map keys must satisfy constraint: [${Constraint.pattern('[a-zA-Z]([a-zA-Z0-9_])+')}]`);
  }
  if (input.Architectures !== undefined) {
    if (input.Architectures.length !== 1) broken('architectures', `[${input.Architectures.join(', ')}]`, Constraint.maxLength(1));
    else if (input.Architectures[0] !== 'x86_64' && input.Architectures[0] !== 'arm64') {
      broken('architectures', `[${input.Architectures[0]}]`, `Member must satisfy constraint: [${Constraint.oneOf(['x86_64', 'arm64'])}, ${Constraint.notNull}]`);
    }
  }
  if (problems.length > 0) throw ValidationException.violations(problems);

  // AWS answers an unknown runtime with InvalidParameterValueException, not the model's ValidationException, and
  // without quoting the value; so do we.
  if (input.Runtime !== undefined && !KNOWN_RUNTIMES.includes(input.Runtime as Runtime)) {
    throw new InvalidParameterValueException(
      `Value ${input.Runtime} at 'runtime' failed to satisfy constraint: ${Constraint.oneOf(SUPPORTED_RUNTIMES)} or be a valid ARN`,
    );
  }
  if (input.Runtime !== undefined && DEPRECATED.has(input.Runtime)) {
    throw new InvalidParameterValueException(
      `The runtime parameter of ${input.Runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
    );
  }
  const reserved = Object.keys(variables).filter((key) => RESERVED_VARIABLES.has(key));
  if (reserved.length > 0) {
    throw new InvalidParameterValueException(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(variables);
  if (Buffer.byteLength(measured) > 4096) {
    throw new InvalidParameterValueException(
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
  throw new InvalidRequestContentException('Client context must be a valid Base64-encoded JSON object.');
}
