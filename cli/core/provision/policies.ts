// The IAM documents setup applies: the role's trust policy and its least-privilege access policy, built
// from templates/ (data, not code), plus the structural comparison that decides whether a document on AWS
// already says what we want. It does not call AWS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';

/** An IAM policy document, as JSON. */
export interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: PolicyStatement[] | PolicyStatement;
}

export type PolicyStatement = Record<string, unknown>;

/** The name of the inline policy setup puts on the role. */
export const ACCESS_POLICY_NAME = 'thumbctl-access';

/** The AWS managed policies the role needs: CloudWatch Logs for the function's logs, X-Ray for its traces. */
export const MANAGED_POLICIES = [
  { name: 'AWSLambdaBasicExecutionRole', path: '/service-role/' },
  { name: 'AWSXRayDaemonWriteAccess', path: '/' },
] as const;

/** The partition a region lives in: `aws`, `aws-cn` or `aws-us-gov`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function managedPolicyArn(policy: (typeof MANAGED_POLICIES)[number], region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy${policy.path}${policy.name}`;
}

export function bucketArn(bucket: string, region: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}`;
}

/** Reads a template and replaces its `{{Name}}` placeholders in string values (never in keys or structure). */
export function fillTemplate(file: string, values: Record<string, string>, dir = templatesDir()): PolicyDocument {
  const document = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  const filled = substitute(document, values, file);
  return filled as PolicyDocument;
}

function substitute(value: unknown, values: Record<string, string>, file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
      const replacement = values[name];
      if (replacement === undefined) throw new Error(`template ${file} uses {{${name}}}, which has no value`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values, file));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values, file)]));
  }
  return value;
}

/** Who may assume the function's role: the Lambda service. */
export function buildTrustPolicy(dir?: string): PolicyDocument {
  return fillTemplate('trust-policy.json', {}, dir);
}

/** What the function may do: read uploads from the source bucket and write thumbnails, nothing else. */
export function buildAccessPolicy(buckets: { sourceBucket: string; thumbnailBucket: string; region: string }, dir?: string): PolicyDocument {
  return fillTemplate(
    'access-policy.json',
    { Partition: partitionOf(buckets.region), SourceBucket: buckets.sourceBucket, ThumbnailBucket: buckets.thumbnailBucket },
    dir,
  );
}

/** IAM hands documents back URL-encoded (GetRole, GetRolePolicy); some endpoints send plain JSON. */
export function decodePolicyDocument(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined || text === '') return undefined;
  for (const candidate of [text, safeDecode(text)]) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate) as PolicyDocument;
    } catch {
      /* try the other form */
    }
  }
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

// Keys whose string value is a scalar in IAM's grammar; any other string may equally be written as a
// one-element list ("Action": "s3:GetObject" means ["s3:GetObject"]).
const SCALAR_KEYS = new Set(['Version', 'Id', 'Sid', 'Effect']);

/**
 * A canonical form of a policy document, so two documents that mean the same compare equal: key order,
 * whitespace, `"x"` vs `["x"]`, the order of values in a list and the order of statements do not matter.
 */
export function canonicalPolicy(document: unknown): unknown {
  return canonical(document, undefined);
}

function canonical(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== undefined && SCALAR_KEYS.has(key) ? value : [value];
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item, undefined)).map((item) => (Array.isArray(item) && item.length === 1 && typeof item[0] === 'string' ? item[0] : item));
    const sorted = items.map((item) => [stableJson(item), item] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const unique = sorted.filter(([json], index) => index === 0 || sorted[index - 1]![0] !== json);
    return unique.map(([, item]) => item);
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, item]) => {
        // A lone statement object means a list of one.
        if (name === 'Statement' && item && typeof item === 'object' && !Array.isArray(item)) return [name, canonical([item], name)];
        return [name, canonical(item, name)];
      });
    return Object.fromEntries(entries);
  }
  return value;
}

/** JSON with object keys sorted: equal values give equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** True when two policy documents grant the same thing (structurally, see canonicalPolicy). */
export function samePolicy(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return stableJson(canonicalPolicy(a)) === stableJson(canonicalPolicy(b));
}
