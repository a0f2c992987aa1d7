// STS's state and rules: who a caller is, and the temporary credentials AssumeRole and GetSessionToken
// hand out (kept in SQLite so GetCallerIdentity can answer for them after a restart). Never sees HTTP.
// Non-goals: signatures are not verified, trust policies are not evaluated (any existing role can be
// assumed by anyone), and session policies and session tags are accepted but not enforced.
import { randomBytes, randomInt } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { migrate, statementCache, type Db } from '../../state/database.js';
import type { IamStore } from '../iam/store.js';
import { AccessDeniedError, ExpiredTokenError, ValidationError } from './errors.js';

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
  /** The access key the request was signed with, if any. */
  callerAccessKeyId: string | undefined;
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
   * The identity behind an access key: the assumed role or the parent of a session token we issued,
   * otherwise the account root, whose UserId we report as the access key itself.
   * @throws ExpiredTokenError when the key is one of ours and has expired
   */
  getCallerIdentity(accessKeyId: string | undefined, now = new Date()): CallerIdentity {
    const session = accessKeyId ? this.liveSession(accessKeyId, now) : undefined;
    if (session) return { account: this.accountId, arn: session.arn, userId: session.user_id };
    return { account: this.accountId, arn: `arn:aws:iam::${this.accountId}:root`, userId: accessKeyId ?? this.accountId };
  }

  assumeRole(input: AssumeRoleInput, now = new Date()): AssumedRole {
    if (input.roleArn.length < 20 || input.roleArn.length > 2048) {
      throw ValidationError.constraint('RoleArn', input.roleArn, `Member must have length ${input.roleArn.length < 20 ? 'greater than or equal to 20' : 'less than or equal to 2048'}`);
    }
    validateRoleSessionName(input.roleSessionName);
    const duration = input.durationSeconds ?? STS_LIMITS.defaultAssumeRoleDuration;
    validateDuration(duration, STS_LIMITS.maxAssumeRoleDuration);

    const caller = this.getCallerIdentity(input.callerAccessKeyId, now);
    const role = this.iam.findRoleByArn(input.roleArn);
    // STS never says "no such role": a role that does not exist is one you may not assume. AWS answers 403; so do we.
    if (!role) throw AccessDeniedError.assumeRole(caller.arn, input.roleArn);
    if (duration > role.maxSessionDuration) {
      throw new ValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }
    const chained = input.callerAccessKeyId !== undefined && this.liveSession(input.callerAccessKeyId, now)?.kind === 'assumed-role';
    if (chained && duration > STS_LIMITS.roleChainingDuration) {
      throw new ValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }

    const assumedRoleUser = {
      // The assumed-role ARN carries no path, whatever the role's path is.
      arn: `arn:aws:sts::${this.accountId}:assumed-role/${role.roleName}/${input.roleSessionName}`,
      assumedRoleId: `${role.roleId}:${input.roleSessionName}`,
    };
    const credentials = this.issue('assumed-role', assumedRoleUser.arn, assumedRoleUser.assumedRoleId, duration, now);
    this.iam.markRoleUsed(role.roleName, input.region, now);
    return { credentials, assumedRoleUser };
  }

  /** Temporary credentials with the caller's own identity. */
  getSessionToken(input: { durationSeconds?: number; callerAccessKeyId: string | undefined }, now = new Date()): TemporaryCredentials {
    const duration = input.durationSeconds ?? STS_LIMITS.defaultSessionTokenDuration;
    validateDuration(duration, STS_LIMITS.maxSessionTokenDuration);
    if (input.callerAccessKeyId && this.liveSession(input.callerAccessKeyId, now)) {
      // AWS refuses session credentials here (403).
      throw new AccessDeniedError('Cannot call GetSessionToken with session credentials');
    }
    const caller = this.getCallerIdentity(input.callerAccessKeyId, now);
    return this.issue('session-token', caller.arn, caller.userId, duration, now);
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
    if (row && new Date(row.expiration) <= now) throw new ExpiredTokenError();
    return row;
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

function validateRoleSessionName(name: string): void {
  if (name.length < 2) throw ValidationError.constraint('RoleSessionName', name, 'Member must have length greater than or equal to 2');
  if (name.length > 64) throw ValidationError.constraint('RoleSessionName', name, 'Member must have length less than or equal to 64');
  if (!ROLE_SESSION_NAME_PATTERN.test(name)) {
    throw ValidationError.constraint('RoleSessionName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  }
}

function validateDuration(seconds: number, max: number): void {
  if (!Number.isInteger(seconds) || seconds < STS_LIMITS.minDuration) {
    throw ValidationError.constraint('DurationSeconds', String(seconds), `Member must have value greater than or equal to ${STS_LIMITS.minDuration}`);
  }
  if (seconds > max) throw ValidationError.constraint('DurationSeconds', String(seconds), `Member must have value less than or equal to ${max}`);
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomKeyId(prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 16; i++) id += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return id;
}
