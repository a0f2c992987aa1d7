// The rules Lambda applies to a function's tags (CreateFunction's Tags, TagResource): at most 50 on a function,
// keys of 1 to 128 characters and values of at most 256, and no key in the `aws:` prefix AWS keeps for itself.
// Lambda refuses each with InvalidParameterValueException (400). Pure: the store calls it before saving.
import { InvalidParameterValueException } from './errors.js';

export const FUNCTION_TAG_LIMITS = { perFunction: 50, keyLength: 128, valueLength: 256 } as const;

/**
 * @param current - the function's tags now (none at CreateFunction)
 * @param added - the tags asked for
 * @returns the function's tags afterwards
 */
export function mergeFunctionTags(current: Readonly<Record<string, string>>, added: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(added)) {
    if (key.length < 1 || key.length > FUNCTION_TAG_LIMITS.keyLength) throw new InvalidParameterValueException(`Tag key must be between 1 and ${FUNCTION_TAG_LIMITS.keyLength} characters long: ${key}`);
    if (key.toLowerCase().startsWith('aws:')) throw new InvalidParameterValueException(`Tag keys beginning with "aws:" are reserved for AWS use: ${key}`);
    if (typeof value !== 'string' || value.length > FUNCTION_TAG_LIMITS.valueLength) throw new InvalidParameterValueException(`Tag value must be at most ${FUNCTION_TAG_LIMITS.valueLength} characters long (key ${key})`);
  }
  const merged = { ...current, ...added };
  if (Object.keys(merged).length > FUNCTION_TAG_LIMITS.perFunction) throw new InvalidParameterValueException('Number of tags exceeds resource tag limit.');
  return merged;
}
