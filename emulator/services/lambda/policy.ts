// Resource-based policies of functions (AddPermission statements, in AWS's JSON) and their evaluation for
// S3 notifications. Pure functions: no storage. (Role trust is IAM's question: iam/policy-document.ts.)
import { Constraint, type ConstraintViolation } from '../../core/constraints.js';
import { InvalidParameterValueException, ValidationException } from './errors.js';
import { wildcardMatches } from '../../core/wildcard.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { Service?: string | string[]; AWS?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface AddPermissionInput {
  StatementId?: string;
  Action?: string;
  Principal?: string;
  SourceArn?: string;
  SourceAccount?: string;
  PrincipalOrgID?: string;
  EventSourceToken?: string;
}

/**
 * Builds the statement AddPermission stores, exactly as GetPolicy later shows it (AWS turns an account id
 * principal into `{"AWS":"arn:aws:iam::<id>:root"}`, a service into `{"Service":...}`).
 */
export function buildStatement(input: AddPermissionInput, functionArn: string): PolicyStatement {
  const problems: ConstraintViolation[] = [];
  const broken = (member: string, value: string | undefined, constraint: string): number => problems.push({ member, value, constraint });
  const sid = input.StatementId;
  if (sid === undefined) broken('statementId', sid, Constraint.notNull);
  else if (!/^[a-zA-Z0-9-_]{1,100}$/.test(sid)) broken('statementId', sid, Constraint.pattern('([a-zA-Z0-9-_]+)'));
  if (input.Action === undefined) broken('action', input.Action, Constraint.notNull);
  else if (!/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(input.Action)) broken('action', input.Action, Constraint.pattern('(lambda:[*]|lambda:[a-zA-Z]+|[*])'));
  if (input.Principal === undefined) broken('principal', input.Principal, Constraint.notNull);
  else if (!/^[^\s]+$/.test(input.Principal)) broken('principal', input.Principal, Constraint.pattern('[^\\s]+'));
  if (input.SourceArn !== undefined && !/^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$/.test(input.SourceArn)) {
    broken('sourceArn', input.SourceArn, Constraint.pattern('arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)'));
  }
  if (input.SourceAccount !== undefined && !/^\d{12}$/.test(input.SourceAccount)) broken('sourceAccount', input.SourceAccount, Constraint.pattern('\\d{12}'));
  if (problems.length > 0) throw ValidationException.violations(problems);

  const principal = input.Principal!;
  // A principal is `*`, an account, an ARN or an AWS service; AWS refuses anything else (a non-AWS domain) this way.
  if (principal !== '*' && !/^\d{12}$/.test(principal) && !principal.startsWith('arn:') && !/\.(amazonaws\.com(\.cn)?|aws\.internal)$/.test(principal)) {
    throw new InvalidParameterValueException('The provided principal was invalid. Please check the principal and try again.');
  }
  const statement: PolicyStatement = {
    Sid: sid!,
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : /^\d{12}$/.test(principal)
          ? { AWS: `arn:aws:iam::${principal}:root` }
          : principal.startsWith('arn:')
            ? { AWS: principal }
            : { Service: principal },
    Action: input.Action!,
    Resource: functionArn,
  };
  const condition: Record<string, Record<string, string>> = {};
  if (input.SourceAccount !== undefined) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount };
  if (input.PrincipalOrgID !== undefined) condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': input.PrincipalOrgID };
  if (input.EventSourceToken !== undefined) condition.StringEquals = { ...condition.StringEquals, 'lambda:EventSourceToken': input.EventSourceToken };
  if (input.SourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  return statement;
}

/** The policy document GetPolicy returns. */
export function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * IAM-style wildcard match: `*` any run of characters, `?` one character. Linear-time (core/wildcard.ts):
 * a crafted SourceArn in AddPermission must not freeze the cloud on the next S3 event.
 */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  return wildcardMatches(pattern, value, { caseInsensitive, questionMark: true });
}

export interface InvokeRequestContext {
  /** The calling service principal, e.g. `s3.amazonaws.com`. */
  service: string;
  functionArn: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** Evaluates one condition block; unknown operators or keys make the statement not apply (fail closed). */
function conditionsHold(condition: PolicyStatement['Condition'], request: InvokeRequestContext): boolean {
  if (!condition) return true;
  for (const [operator, entries] of Object.entries(condition)) {
    for (const [rawKey, expected] of Object.entries(entries)) {
      const key = rawKey.toLowerCase();
      const actual = key === 'aws:sourcearn' ? request.sourceArn : key === 'aws:sourceaccount' ? request.sourceAccount : undefined;
      if (actual === undefined) return false;
      const patterns = asList(expected);
      let holds: boolean;
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          holds = patterns.some((pattern) => pattern === actual);
          break;
        case 'StringLike':
        case 'ArnLike':
          holds = patterns.some((pattern) => wildcardMatch(pattern, actual));
          break;
        case 'StringEqualsIgnoreCase':
          holds = patterns.some((pattern) => pattern.toLowerCase() === actual.toLowerCase());
          break;
        default:
          return false;
      }
      if (!holds) return false;
    }
  }
  return true;
}

function principalMatches(principal: PolicyStatement['Principal'], service: string): boolean {
  if (principal === '*') return true;
  if (asList(principal.AWS).includes('*')) return true;
  return asList(principal.Service).some((candidate) => candidate === service);
}

function actionMatches(action: string | string[]): boolean {
  return asList(action).some((candidate) => wildcardMatch(candidate, 'lambda:InvokeFunction', true));
}

function resourceMatches(resource: string | string[], functionArn: string): boolean {
  return asList(resource).some((candidate) => wildcardMatch(candidate, functionArn) || wildcardMatch(candidate, `${functionArn}:$LATEST`));
}

/** True when some Allow statement (and no Deny statement) lets the service invoke the function. */
export function policyAllowsInvoke(statements: PolicyStatement[], request: InvokeRequestContext): boolean {
  const applies = (statement: PolicyStatement): boolean =>
    principalMatches(statement.Principal, request.service) &&
    actionMatches(statement.Action) &&
    resourceMatches(statement.Resource, request.functionArn) &&
    conditionsHold(statement.Condition, request);
  if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) return false;
  return statements.some((statement) => statement.Effect === 'Allow' && applies(statement));
}
