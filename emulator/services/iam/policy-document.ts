// Policy documents as IAM checks them on the way in (MalformedPolicyDocument with AWS's messages), and the
// one question other services ask of a trust policy: does it let this AWS service assume the role?
// Pure functions of the text. Not an evaluator: conditions, resources and principals are not validated
// against anything real (an unknown service principal is accepted; AWS would refuse some of them).
import { MalformedPolicyDocument } from './errors.js';
import { wildcardMatches } from '../../core/wildcard.js';

const TOP_LEVEL_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/** The actions a trust policy may name; AWS refuses a trust policy granting anything else. */
const TRUST_POLICY_ACTIONS = [
  'sts:AssumeRole',
  'sts:AssumeRoleWithSAML',
  'sts:AssumeRoleWithWebIdentity',
  'sts:SetSourceIdentity',
  'sts:TagSession',
  'sts:SetContext',
];

type Statement = Record<string, unknown>;

/** `AssumeRolePolicyDocument` of CreateRole / UpdateAssumeRolePolicy: a resource policy with principals. */
export function validateTrustPolicy(text: string): void {
  const statements = parseStatements(text, { requireCurrentVersion: false });
  for (const statement of statements) {
    if (!('Principal' in statement) && !('NotPrincipal' in statement)) {
      throw new MalformedPolicyDocument('Missing required field Principal');
    }
  }
  for (const statement of statements) {
    for (const action of asList(statement.Action ?? statement.NotAction)) {
      const allowed = TRUST_POLICY_ACTIONS.some((name) => globMatches(action, name));
      if (!allowed) {
        // AWS's message, double space included.
        throw new MalformedPolicyDocument(
          'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity',
        );
      }
    }
  }
  if (statements.some((statement) => 'Resource' in statement || 'NotResource' in statement)) {
    throw new MalformedPolicyDocument('Has prohibited field Resource.');
  }
}

/** A permissions policy (PutRolePolicy, CreatePolicy): actions on resources, no principals. */
export function validateIdentityPolicy(text: string): void {
  const statements = parseStatements(text, { requireCurrentVersion: true });
  if (statements.some((statement) => 'Principal' in statement || 'NotPrincipal' in statement)) {
    throw new MalformedPolicyDocument('Policy document should not specify a principal.');
  }
  for (const statement of statements) {
    const resources = statement.Resource ?? statement.NotResource;
    if (resources === undefined || (Array.isArray(resources) && resources.length === 0)) {
      throw new MalformedPolicyDocument('Policy statement must contain resources.');
    }
  }
  for (const statement of statements) {
    for (const action of asList(statement.Action ?? statement.NotAction)) {
      if (action !== '*' && !action.includes(':')) {
        throw new MalformedPolicyDocument('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
      if (action.split(':').length > 2) {
        throw new MalformedPolicyDocument('Actions/Condition can contain only one colon.');
      }
    }
  }
}

/**
 * The checks both kinds of policy share, in the order IAM reports them: JSON, grammar, version, Sids,
 * actions. Trust policies may still say 2008-10-17 (old ECS and EC2 roles do); permissions policies may not.
 */
function parseStatements(text: string, options: { requireCurrentVersion: boolean }): Statement[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new MalformedPolicyDocument('This policy contains invalid Json');
  }
  const syntaxError = new MalformedPolicyDocument('Syntax errors in policy.');
  if (!isObject(document)) throw syntaxError;
  if (Object.keys(document).some((key) => !TOP_LEVEL_ELEMENTS.has(key))) throw syntaxError;
  if ('Version' in document && document.Version !== '2012-10-17' && document.Version !== '2008-10-17') throw syntaxError;
  if ('Id' in document && typeof document.Id !== 'string') throw syntaxError;
  const raw = document.Statement;
  const statements: unknown[] = Array.isArray(raw) ? raw : isObject(raw) ? [raw] : [];
  if (statements.length === 0) throw syntaxError;
  for (const statement of statements) {
    if (!isStatementSyntaxValid(statement)) throw syntaxError;
  }
  const valid = statements as Statement[];

  if (options.requireCurrentVersion && document.Version !== '2012-10-17') {
    throw new MalformedPolicyDocument('Policy document must be version 2012-10-17 or greater.');
  }
  const sids = valid.map((statement) => statement.Sid).filter((sid): sid is string => typeof sid === 'string' && sid !== '');
  if (new Set(sids).size !== sids.length) {
    throw new MalformedPolicyDocument('Statement IDs (SID) in a single policy must be unique.');
  }
  for (const statement of valid) {
    if (asList(statement.Action ?? statement.NotAction).length === 0) {
      throw new MalformedPolicyDocument('Policy statement must contain actions.');
    }
  }
  return valid;
}

function isStatementSyntaxValid(statement: unknown): boolean {
  if (!isObject(statement)) return false;
  if (Object.keys(statement).some((key) => !STATEMENT_ELEMENTS.has(key))) return false;
  if ('Action' in statement && 'NotAction' in statement) return false;
  if ('Resource' in statement && 'NotResource' in statement) return false;
  if ('Principal' in statement && 'NotPrincipal' in statement) return false;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return false;
  if ('Sid' in statement && typeof statement.Sid !== 'string') return false;
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
    if (key in statement && !isStringOrStringList(statement[key])) return false;
  }
  for (const key of ['Principal', 'NotPrincipal']) {
    if (key in statement && !isPrincipal(statement[key])) return false;
  }
  if ('Condition' in statement) {
    const condition = statement.Condition;
    if (!isObject(condition) || Object.values(condition).some((block) => !isObject(block))) return false;
  }
  return true;
}

/** `"*"` or `{ "Service": "x" | ["x", ...], "AWS": ..., "Federated": ..., "CanonicalUser": ... }`. */
function isPrincipal(value: unknown): boolean {
  if (value === '*') return true;
  if (!isObject(value) || Object.keys(value).length === 0) return false;
  return Object.entries(value).every(
    ([kind, names]) => ['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(kind) && isStringOrStringList(names),
  );
}

/**
 * True when the trust policy lets the service principal (e.g. `lambda.amazonaws.com`) call sts:AssumeRole:
 * some Allow statement matches and no Deny statement does. A principal of `*` (or `{"AWS": "*"}`) trusts
 * everyone, services included. Conditions are not evaluated: a statement with conditions counts as matching.
 * @param trustPolicyJson - the role's trust policy, decoded JSON text
 * @param service - the service principal, e.g. `lambda.amazonaws.com`
 */
export function trustsService(trustPolicyJson: string, service: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(trustPolicyJson);
  } catch {
    return false;
  }
  if (!isObject(document)) return false;
  const raw = document.Statement;
  const statements = (Array.isArray(raw) ? raw : [raw]).filter(isObject);
  const applies = (statement: Statement): boolean => actionApplies(statement, 'sts:AssumeRole') && principalApplies(statement, service);
  const allowed = statements.some((statement) => statement.Effect === 'Allow' && applies(statement));
  const denied = statements.some((statement) => statement.Effect === 'Deny' && applies(statement));
  return allowed && !denied;
}

function actionApplies(statement: Statement, action: string): boolean {
  if ('Action' in statement) return asList(statement.Action).some((pattern) => globMatches(pattern, action));
  if ('NotAction' in statement) return !asList(statement.NotAction).some((pattern) => globMatches(pattern, action));
  return false;
}

function principalApplies(statement: Statement, service: string): boolean {
  if ('Principal' in statement) return principalNames(statement.Principal, service);
  if ('NotPrincipal' in statement) return !principalNames(statement.NotPrincipal, service);
  return false;
}

function principalNames(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  if (asList(principal.AWS).includes('*')) return true;
  return asList(principal.Service).some((name) => name.toLowerCase() === service.toLowerCase());
}

/** IAM action matching: case-insensitive, `*` any run of characters, `?` one character. */
export function globMatches(pattern: string, value: string): boolean {
  // Not a RegExp: `a*a*a*…b` would backtrack exponentially and freeze the cloud on one CreateRole.
  return wildcardMatches(pattern, value, { caseInsensitive: true, questionMark: true });
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function isStringOrStringList(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** IAM's size quotas count characters other than whitespace. */
export function policySize(text: string): number {
  return text.replace(/\s/g, '').length;
}
