// IAM policy evaluation for identity-based policies and roles' trust policies, as AWS documents it: an explicit
// Deny wins, then any Allow, else the request is implicitly denied. Statements match on Action/NotAction
// (case-insensitive wildcards), Resource/NotResource (case-sensitive wildcards), for trust policies on
// Principal/NotPrincipal (AWS principals only), and a subset of Condition operators.
// Not modelled: other resource policies, permission boundaries, SCPs, session policies, policy variables.
import { wildcardMatches } from '../../core/wildcard.js';

/** One request to authorize: `s3:PutObject` on `arn:aws:s3:::bucket/key`, with its condition keys. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  /** Condition keys such as `aws:SourceArn`, `s3:prefix`; names compare case-insensitively, as in IAM. */
  context?: Record<string, string | string[]>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

type Statement = Record<string, unknown>;

/** The condition operators understood; any other makes its statement not apply (and is reported). */
export const SUPPORTED_CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Bool',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'Null',
] as const;

/**
 * Evaluates every policy attached to a principal against one request.
 * @param documents - the policy documents (JSON text), managed and inline alike
 * @param request - the action, resource and condition keys
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function evaluatePolicies(documents: readonly string[], request: AuthorizationRequest): Decision {
  let allowed = false;
  for (const statement of documents.flatMap(statementsOf)) {
    if (!statementApplies(statement, request)) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** An AWS principal asking to assume a role: the account's administrator or a role session. */
export interface AwsPrincipal {
  accountId: string;
  /**
   * The ARNs a trust policy may name it by, beside its account (`123456789012`, `arn:aws:iam::123456789012:root`):
   * for a role session, the role's ARN and the assumed-role session ARN; for the administrator, none.
   */
  arns: readonly string[];
}

/**
 * Evaluates a role's trust policy for an AWS principal's request (`sts:AssumeRole`): a statement applies when
 * its Action, its Principal (or NotPrincipal) and its Condition match. `"*"` and `{"AWS": "*"}` name every
 * principal; an account id or its `:root` ARN names every principal of that account; any other entry names
 * exactly one (IAM allows no wildcards there). Service, Federated and CanonicalUser principals never match an
 * AWS caller.
 * @param document - the trust policy, JSON text
 * @param principal - who asks
 * @param request - the action and the request's condition keys (`sts:RoleSessionName`, `aws:PrincipalArn`, ...)
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */
export function evaluateTrustPolicy(document: string, principal: AwsPrincipal, request: { action: string; context?: Record<string, string | string[]> }): Decision {
  let allowed = false;
  for (const statement of statementsOf(document)) {
    const actionMatches = (patterns: unknown): boolean => list(patterns).some((pattern) => wildcard(pattern, request.action, true));
    if ('Action' in statement ? !actionMatches(statement.Action) : !('NotAction' in statement) || actionMatches(statement.NotAction)) continue;
    if ('Principal' in statement ? !namesPrincipal(statement.Principal, principal) : !('NotPrincipal' in statement) || namesPrincipal(statement.NotPrincipal, principal)) {
      continue;
    }
    if (!conditionsHold(statement.Condition, request.context ?? {})) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

function namesPrincipal(element: unknown, principal: AwsPrincipal): boolean {
  if (element === '*') return true;
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return false;
  return list((element as Record<string, unknown>).AWS).some(
    (name) => name === '*' || name === principal.accountId || name === `arn:aws:iam::${principal.accountId}:root` || principal.arns.includes(name),
  );
}

/**
 * Parsed documents by their text: authorization parses the same few documents on every call a function makes.
 * Bounded, and emptied when full; the parsed statements are only ever read.
 */
const parsedDocuments = new Map<string, Statement[]>();
const PARSED_DOCUMENTS_LIMIT = 256;

function statementsOf(text: string): Statement[] {
  let statements = parsedDocuments.get(text);
  if (!statements) {
    if (parsedDocuments.size >= PARSED_DOCUMENTS_LIMIT) parsedDocuments.clear();
    statements = parseStatements(text);
    parsedDocuments.set(text, statements);
  }
  return statements;
}

function parseStatements(text: string): Statement[] {
  try {
    const document = JSON.parse(text) as { Statement?: unknown };
    const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
    return statements.filter((s): s is Statement => typeof s === 'object' && s !== null);
  } catch {
    // A policy that cannot be read grants nothing (IAM refused malformed ones on the way in anyway).
    return [];
  }
}

function statementApplies(statement: Statement, request: AuthorizationRequest): boolean {
  const actionMatches = (patterns: unknown): boolean => list(patterns).some((pattern) => wildcard(pattern, request.action, true));
  const resourceMatches = (patterns: unknown): boolean => list(patterns).some((pattern) => wildcard(pattern, request.resource, false));
  if ('Action' in statement ? !actionMatches(statement.Action) : !('NotAction' in statement) || actionMatches(statement.NotAction)) return false;
  if ('Resource' in statement ? !resourceMatches(statement.Resource) : !('NotResource' in statement) || resourceMatches(statement.NotResource)) {
    return false;
  }
  return conditionsHold(statement.Condition, request.context ?? {});
}

/** Every operator block must hold, and within a block every key (AND); values of one key are OR-ed. */
function conditionsHold(condition: unknown, context: Record<string, string | string[]>): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  const keys = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), list(value)]));
  for (const [rawOperator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (typeof block !== 'object' || block === null) return false;
    const ifExists = rawOperator.endsWith('IfExists');
    const [qualifier, operator] = splitQualifier(ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator);
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      const actual = keys.get(key.toLowerCase());
      const expectedValues = list(expected);
      if (operator === 'Null') {
        // Null: true asks that the key be absent.
        const wantsAbsent = expectedValues.some((value) => value.toLowerCase() === 'true');
        if (wantsAbsent !== (actual === undefined)) return false;
        continue;
      }
      if (actual === undefined || actual.length === 0) {
        if (ifExists) continue;
        // A negated operator on a missing key holds, as IAM documents; a positive one does not.
        if (/Not/.test(operator)) continue;
        return false;
      }
      const test = (value: string): boolean => expectedValues.some((pattern) => compare(operator, value, pattern));
      const holds = qualifier === 'ForAllValues' ? actual.every(test) : actual.some(test);
      if (!holds) return false;
    }
  }
  return true;
}

function splitQualifier(operator: string): ['ForAllValues' | 'ForAnyValue' | undefined, string] {
  const [qualifier, rest] = operator.split(':');
  if (rest !== undefined && (qualifier === 'ForAllValues' || qualifier === 'ForAnyValue')) return [qualifier, rest];
  return [undefined, operator];
}

function compare(operator: string, actual: string, expected: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return actual === expected;
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return actual !== expected;
    case 'StringEqualsIgnoreCase':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'StringNotEqualsIgnoreCase':
      return actual.toLowerCase() !== expected.toLowerCase();
    case 'StringLike':
    case 'ArnLike':
      return wildcard(expected, actual, false);
    case 'StringNotLike':
    case 'ArnNotLike':
      return !wildcard(expected, actual, false);
    case 'Bool':
      return actual.toLowerCase() === expected.toLowerCase();
    default:
      return compareNumbers(operator, Number(actual), Number(expected));
  }
}

function compareNumbers(operator: string, actual: number, expected: number): boolean {
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return false;
  switch (operator) {
    case 'NumericEquals':
      return actual === expected;
    case 'NumericNotEquals':
      return actual !== expected;
    case 'NumericLessThan':
      return actual < expected;
    case 'NumericLessThanEquals':
      return actual <= expected;
    case 'NumericGreaterThan':
      return actual > expected;
    case 'NumericGreaterThanEquals':
      return actual >= expected;
    default:
      // An operator we do not understand never grants (nor, inside a Deny, denies) anything.
      return false;
  }
}

/** IAM wildcards: `*` any run of characters, `?` one character. Actions compare case-insensitively. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  // Not a RegExp: a policy saying `a*a*a*…b` would backtrack exponentially on every call the role makes.
  return wildcardMatches(pattern, value, { caseInsensitive: ignoreCase, questionMark: true });
}

function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'boolean' || typeof value === 'number') return [String(value)];
  if (Array.isArray(value)) return value.flatMap((item) => (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? [String(item)] : []));
  return [];
}
