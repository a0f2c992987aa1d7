// STS's state and rules: who a caller is, and the temporary credentials AssumeRole and GetSessionToken
// hand out (kept in SQLite so GetCallerIdentity can answer for them after a restart). Never sees HTTP.
// AssumeRole evaluates the role's trust policy for the caller (the caller's own policies are the router's
// check); session credentials may not call GetSessionToken or GetFederationToken, as at AWS.
// Non-goals: signatures are not verified here, and session policies and session tags are accepted but not enforced.
import { randomBytes, randomInt } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { Constraint } from '../../core/constraints.js';
import { migrate, statementCache, type Db } from '../../state/database.js';
import { assumedRoleArn, assumedRoleUserId, type CallerPrincipal, type RoleSession } from '../../core/authorize.js';
import { evaluateTrustPolicy, type AwsPrincipal } from '../iam/evaluate.js';
import type { IamStore } from '../iam/store.js';
import { AccessDenied, ExpiredTokenException, ValidationError } from './errors.js';

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface TemporaryCredentials {
  /** `ASIA` + 16 upper-case alphanumerics, like every AWS temporary key. */
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumeRoleInput {
  roleArn: string;
  roleSessionName: string;
  durationSeconds?: number;
  /** Where the call was made: recorded as the role's RoleLastUsed region. */
  region: string;
  /** Who asks (core/authorize.ts's identifyCaller). */
  caller: CallerPrincipal;
}

export interface AssumedRole {
  credentials: TemporaryCredentials;
  assumedRoleUser: { arn: string; assumedRoleId: string };
}

/** STS's limits on session length, in seconds. */
export const STS_LIMITS = {
  minDuration: 900,
  maxAssumeRoleDuration: 43_200,
  defaultAssumeRoleDuration: 3600,
  /** A role assumed with credentials of another assumed role is capped at one hour. */
  roleChainingDuration: 3600,
  maxSessionTokenDuration: 129_600,
  defaultSessionTokenDuration: 43_200,
} as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sts_sessions (
  access_key_id TEXT NOT NULL PRIMARY KEY,
  secret_access_key TEXT NOT NULL,
  session_token TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('assumed-role', 'session-token')),
  arn TEXT NOT NULL,
  user_id TEXT NOT NULL,
  expiration TEXT NOT NULL
);
`;

interface SessionRow {
  access_key_id: string;
  kind: 'assumed-role' | 'session-token';
  arn: string;
  user_id: string;
  expiration: string;
}

const ROLE_SESSION_NAME_PATTERN = /^[\w+=,.@-]*$/;

export class StsStore {
  /** Each SQL text compiled once (statementCache): a request signed with one of our temporary keys reads its session. */
  private readonly sql: (text: string) => Statement;

  constructor(
    db: Db,
    private readonly accountId: string,
    private readonly iam: IamStore,
  ) {
    migrate(db, SCHEMA);
    this.sql = statementCache(db);
  }

  /**
   * The identity behind a caller: a role session's assumed-role ARN (`<roleId>:<session>` as UserId), the parent
   * of a session token we issued, otherwise the account root, whose UserId we report as the access key itself.
   * GetCallerIdentity needs no permission, as at AWS.
   * @throws ExpiredTokenException when the key is one of ours and has expired
   */
  getCallerIdentity(caller: CallerPrincipal, now = new Date()): CallerIdentity {
    const row = caller.accessKeyId ? this.liveSession(caller.accessKeyId, now) : undefined;
    if (row) return { account: this.accountId, arn: row.arn, userId: row.user_id };
    if (caller.kind === 'role') {
      const session = { ...caller.session, roleId: caller.session.roleId ?? this.iam.roleByName(caller.session.roleName)?.roleId };
      return { account: this.accountId, arn: assumedRoleArn(session), userId: assumedRoleUserId(session) };
    }
    return { account: this.accountId, arn: `arn:aws:iam::${this.accountId}:root`, userId: caller.accessKeyId ?? this.accountId };
  }

  /**
   * Issues credentials for a role the caller may assume: the role must exist and its trust policy must allow
   * the caller (the administrator as its account; a role session as its account, its role ARN or its session
   * ARN). The caller's own permission (sts:AssumeRole in its policies) is checked before, by the router.
   */
  assumeRole(input: AssumeRoleInput, now = new Date()): AssumedRole {
    if (input.roleArn.length < 20 || input.roleArn.length > 2048) {
      throw ValidationError.violated('roleArn', input.roleArn, input.roleArn.length < 20 ? Constraint.minLength(20) : Constraint.maxLength(2048));
    }
    // AWS answers a RoleArn it cannot read as an ARN (partition, service and resource present) this way; so do we.
    if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(input.roleArn)) throw new ValidationError(`${input.roleArn} is invalid`);
    validateRoleSessionName(input.roleSessionName);
    const duration = input.durationSeconds ?? STS_LIMITS.defaultAssumeRoleDuration;
    validateDuration(duration, STS_LIMITS.maxAssumeRoleDuration);

    const caller = this.getCallerIdentity(input.caller, now);
    const role = this.iam.findRoleByArn(input.roleArn);
    // STS never says "no such role": a role that does not exist, or whose trust policy does not allow the
    // caller, is one you may not assume. AWS answers 403 with the same words for both; so do we.
    if (!role || !this.trusts(role.assumeRolePolicyDocument, input)) throw AccessDenied.assumeRole(caller.arn, input.roleArn);
    if (duration > role.maxSessionDuration) {
      throw new ValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }
    // A role session assuming a role is role chaining, whichever service issued its keys.
    const chained = input.caller.kind === 'role';
    if (chained && duration > STS_LIMITS.roleChainingDuration) {
      throw new ValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }

    const session: RoleSession = { accountId: this.accountId, roleArn: role.arn, roleName: role.roleName, roleId: role.roleId, sessionName: input.roleSessionName };
    const assumedRoleUser = { arn: assumedRoleArn(session), assumedRoleId: assumedRoleUserId(session) };
    const credentials = this.issue('assumed-role', assumedRoleUser.arn, assumedRoleUser.assumedRoleId, duration, now);
    this.iam.markRoleUsed(role.roleName, input.region, now);
    return { credentials, assumedRoleUser };
  }

  /** Temporary credentials with the caller's own identity; AWS refuses session credentials here (403). */
  getSessionToken(input: { durationSeconds?: number; caller: CallerPrincipal }, now = new Date()): TemporaryCredentials {
    const duration = input.durationSeconds ?? STS_LIMITS.defaultSessionTokenDuration;
    validateDuration(duration, STS_LIMITS.maxSessionTokenDuration);
    refuseSessionCredentials(input.caller, 'GetSessionToken');
    const caller = this.getCallerIdentity(input.caller, now);
    return this.issue('session-token', caller.arn, caller.userId, duration, now);
  }

  /**
   * What a temporary key we issued stands for, expired or not (an expired role key must never count as the
   * administrator's): its role session, or the administrator's own session token.
   */
  sessionOf(accessKeyId: string): { kind: 'role'; session: RoleSession } | { kind: 'session-token' } | undefined {
    const row = this.sql('SELECT * FROM sts_sessions WHERE access_key_id = ?').get(accessKeyId) as SessionRow | undefined;
    if (!row) return undefined;
    if (row.kind === 'session-token') return { kind: 'session-token' };
    // The session's ARN is `arn:aws:sts::<account>:assumed-role/<role>/<session>`, its UserId `<roleId>:<session>`.
    const [, roleName = '', sessionName = ''] = row.arn.slice(row.arn.indexOf(':assumed-role/') + 1).split('/');
    const roleId = row.user_id.slice(0, row.user_id.indexOf(':'));
    const roleArn = this.iam.roleById(roleId)?.arn ?? `arn:aws:iam::${this.accountId}:role/${roleName}`;
    return { kind: 'role', session: { accountId: this.accountId, roleArn, roleName, roleId, sessionName } };
  }

  /**
   * The secret, token and expiry of a temporary key this store issued (expired ones too, so the caller can
   * say ExpiredToken), or undefined for keys it did not issue. For SigV4 verification under --require-auth.
   */
  credentialFor(accessKeyId: string): { secretAccessKey: string; sessionToken: string; expiresAt: number } | undefined {
    const row = this.sql('SELECT secret_access_key, session_token, expiration FROM sts_sessions WHERE access_key_id = ?').get(accessKeyId) as
      | { secret_access_key: string; session_token: string; expiration: string }
      | undefined;
    if (!row) return undefined;
    return { secretAccessKey: row.secret_access_key, sessionToken: row.session_token, expiresAt: Date.parse(row.expiration) };
  }

  /** The session behind a key we issued, or undefined for keys we did not issue. */
  private liveSession(accessKeyId: string, now: Date): SessionRow | undefined {
    const row = this.sql('SELECT * FROM sts_sessions WHERE access_key_id = ?').get(accessKeyId) as SessionRow | undefined;
    if (row && new Date(row.expiration) <= now) throw new ExpiredTokenException();
    return row;
  }

  /** The role's trust policy, evaluated for sts:AssumeRole by the caller. */
  private trusts(trustPolicy: string, input: AssumeRoleInput): boolean {
    const caller = input.caller;
    const principal: AwsPrincipal =
      caller.kind === 'role'
        ? { accountId: caller.session.accountId, arns: [caller.session.roleArn, assumedRoleArn(caller.session)] }
        : { accountId: this.accountId, arns: [] };
    const context: Record<string, string> = {
      'sts:RoleSessionName': input.roleSessionName,
      'aws:PrincipalAccount': principal.accountId,
      'aws:PrincipalArn': caller.kind === 'role' ? caller.session.roleArn : `arn:aws:iam::${this.accountId}:root`,
      'aws:PrincipalType': caller.kind === 'role' ? 'AssumedRole' : 'Account',
      'aws:RequestedRegion': input.region,
      ...(caller.kind === 'role' ? { 'aws:userid': assumedRoleUserId(caller.session) } : {}),
    };
    return evaluateTrustPolicy(trustPolicy, principal, { action: 'sts:AssumeRole', context }) === 'allow';
  }

  private issue(kind: SessionRow['kind'], arn: string, userId: string, durationSeconds: number, now: Date): TemporaryCredentials {
    const credentials: TemporaryCredentials = {
      accessKeyId: randomKeyId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(240).toString('base64'),
      expiration: new Date(Math.floor(now.getTime() / 1000) * 1000 + durationSeconds * 1000),
    };
    this.sql(
      `INSERT INTO sts_sessions (access_key_id, secret_access_key, session_token, kind, arn, user_id, expiration)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken, kind, arn, userId, credentials.expiration.toISOString());
    return credentials;
  }
}

/**
 * GetSessionToken and GetFederationToken want long-term keys: a role session or a session token is refused
 * before any policy is read. AWS answers 403 `Cannot call <Operation> with session credentials`; so do we.
 */
export function refuseSessionCredentials(caller: CallerPrincipal, operation: 'GetSessionToken' | 'GetFederationToken'): void {
  if (caller.kind === 'role' || caller.sessionCredentials) throw new AccessDenied(`Cannot call ${operation} with session credentials`);
}

function validateRoleSessionName(name: string): void {
  if (name.length < 2) throw ValidationError.violated('roleSessionName', name, Constraint.minLength(2));
  if (name.length > 64) throw ValidationError.violated('roleSessionName', name, Constraint.maxLength(64));
  if (!ROLE_SESSION_NAME_PATTERN.test(name)) {
    throw ValidationError.violated('roleSessionName', name, Constraint.pattern('[\\w+=,.@-]*'));
  }
}

function validateDuration(seconds: number, max: number): void {
  if (!Number.isInteger(seconds) || seconds < STS_LIMITS.minDuration) {
    throw ValidationError.violated('durationSeconds', seconds, Constraint.minValue(STS_LIMITS.minDuration));
  }
  if (seconds > max) throw ValidationError.violated('durationSeconds', seconds, Constraint.maxValue(max));
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomKeyId(prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 16; i++) id += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return id;
}
