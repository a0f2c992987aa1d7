// AWS's model-validation message, written in one place: `1 validation error detected: Value '64' at 'memorySize'
// failed to satisfy constraint: Member must have value greater than or equal to 128`. Every service words a broken
// constraint this way; what differs is only the error code that carries it (Lambda's ValidationException, the Query
// services' ValidationError, Logs' InvalidParameterException, X-Ray's InvalidRequestException), declared with
// `constraintErrorCode`. It knows no service's members or rules.
import { AwsError, awsErrorCode } from './errors.js';

/** A value as the message shows it: quoted, or `null` when absent. */
export type ShownValue = string | number | boolean | null | undefined;

/** For a member whose value AWS leaves out of the message (a map whose keys break a rule). */
export const VALUE_NOT_SHOWN = Symbol('value not shown');

export interface ConstraintViolation {
  /** The member as AWS names it: lowerCamelCase, dotted into structures (`tracingConfig.mode`). */
  member: string;
  value: ShownValue | typeof VALUE_NOT_SHOWN;
  /** What the member must satisfy: one of {@link Constraint}'s texts. */
  constraint: string;
}

/** The constraint texts AWS's models produce. */
export const Constraint = {
  notNull: 'Member must not be null',
  minLength: (length: number): string => `Member must have length greater than or equal to ${length}`,
  maxLength: (length: number): string => `Member must have length less than or equal to ${length}`,
  lengthBetween: (min: number, max: number): string => `Member must have length between ${min} and ${max}`,
  minValue: (value: number): string => `Member must have value greater than or equal to ${value}`,
  maxValue: (value: number): string => `Member must have value less than or equal to ${value}`,
  pattern: (pattern: string): string => `Member must satisfy regular expression pattern: ${pattern}`,
  oneOf: (values: readonly (string | number)[]): string => `Member must satisfy enum value set: [${values.join(', ')}]`,
} as const;

/** A member's name in these messages from its name on the wire or in the SDK: `RoleName` becomes `roleName`. */
export function memberName(parameter: string): string {
  return parameter.charAt(0).toLowerCase() + parameter.slice(1);
}

function describe({ member, value, constraint }: ConstraintViolation): string {
  const shown = value === VALUE_NOT_SHOWN ? 'Value' : value === undefined || value === null ? 'Value null' : `Value '${String(value)}'`;
  return `${shown} at '${member}' failed to satisfy constraint: ${constraint}`;
}

/** `N validation error(s) detected: ...; ...`: every violation of one request, in the order found. */
export function constraintMessage(violations: readonly ConstraintViolation[]): string {
  const count = violations.length;
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${violations.map(describe).join('; ')}`;
}

/**
 * The base class of an error code that carries constraint violations, named as the code like every error
 * class (see errors.ts):
 * @example
 * export class ValidationError extends constraintErrorCode('ValidationError', 400) {}
 * throw ValidationError.violated('roleName', name, Constraint.maxLength(64));
 */
export function constraintErrorCode(code: string, status: number) {
  return class extends awsErrorCode(code, status) {
    /** One broken constraint. */
    static violated<E extends AwsError>(this: new (message: string) => E, member: string, value: ShownValue | typeof VALUE_NOT_SHOWN, constraint: string): E {
      return new this(constraintMessage([{ member, value, constraint }]));
    }

    /** Every broken constraint of a request at once, as AWS lists them. */
    static violations<E extends AwsError>(this: new (message: string) => E, violations: readonly ConstraintViolation[]): E {
      return new this(constraintMessage(violations));
    }
  };
}
