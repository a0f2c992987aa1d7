// IAM's state and rules: roles, their trust policies, inline policies, managed policy attachments and
// tags, plus customer managed policies, in the shared SQLite database. Never sees HTTP or XML.
// Non-goals: users, groups, instance profiles, policy versions beyond v1, permission boundaries, and
// evaluating policies (other services read documents through `IamForOthers` and decide for themselves).
import { randomInt } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-iam';
import type { IamForOthers } from '../../core/context.js';
import type { Statement } from 'better-sqlite3';
import { migrate, statementCache, type Db } from '../../state/database.js';
import { Constraint } from '../../core/constraints.js';
import { formatTimestamp } from '../../core/query-protocol.js';
import {
  DeleteConflict,
  EntityAlreadyExists,
  InvalidInput,
  LimitExceeded,
  NoSuchEntity,
  ValidationError,
} from './errors.js';
import { AWS_MANAGED_POLICIES, awsManagedPolicyDocumentText } from './managed-policies.js';
import { policySize, validateIdentityPolicy, validateTrustPolicy } from './policy-document.js';
import { evaluatePolicies, type AuthorizationRequest, type Decision } from './evaluate.js';

export { trustsService } from './policy-document.js';

/** A tag as IAM stores it: both halves present. */
export type RoleTag = { [K in 'Key' | 'Value']: NonNullable<Tag[K]> };

export interface RoleRecord {
  roleName: string;
  /** `AROA` + 17 characters. */
  roleId: string;
  arn: string;
  path: string;
  /** The trust policy exactly as it was sent (whitespace kept), not URL-encoded. */
  assumeRolePolicyDocument: string;
  description: string | undefined;
  maxSessionDuration: number;
  createDate: Date;
  tags: RoleTag[];
  /** Set when STS AssumeRole last used the role. */
  lastUsed: { date: Date; region: string } | undefined;
}

export interface CreateRoleInput {
  roleName: string;
  assumeRolePolicyDocument: string;
  path?: string;
  description?: string;
  maxSessionDuration?: number;
  tags?: RoleTag[];
}

export interface PolicyRecord {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  defaultVersionId: string;
  /** How many roles in this account have it attached. */
  attachmentCount: number;
  description: string | undefined;
  createDate: Date;
  updateDate: Date;
  tags: RoleTag[];
  /** True for AWS managed policies (`arn:aws:iam::aws:policy/...`). */
  awsManaged: boolean;
}

export interface PolicyVersionRecord {
  /** Decoded document text. */
  document: string;
  versionId: string;
  isDefaultVersion: boolean;
  createDate: Date;
}

export interface CreatePolicyInput {
  policyName: string;
  policyDocument: string;
  path?: string;
  description?: string;
  tags?: RoleTag[];
}

export interface AttachedPolicyRecord {
  policyName: string;
  policyArn: string;
}

export interface PageRequest {
  marker?: string;
  maxItems?: number;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow; pass back as `marker`. */
  marker?: string;
}

/** IAM's quotas (defaults; AWS lets some be raised, the local cloud does not). */
export const IAM_LIMITS = {
  managedPoliciesPerRole: 10,
  tagsPerResource: 50,
  trustPolicySize: 2048,
  inlinePolicySizePerRole: 10_240,
  managedPolicySize: 6144,
  minSessionDuration: 3600,
  maxSessionDuration: 43_200,
} as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS iam_roles (
  role_name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  role_id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL,
  trust_policy TEXT NOT NULL,
  description TEXT,
  max_session_duration INTEGER NOT NULL,
  create_date TEXT NOT NULL,
  last_used_date TEXT,
  last_used_region TEXT
);
CREATE TABLE IF NOT EXISTS iam_role_tags (
  role_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_roles(role_name) ON DELETE CASCADE,
  tag_key TEXT NOT NULL COLLATE NOCASE,
  tag_value TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (role_name, tag_key)
);
CREATE TABLE IF NOT EXISTS iam_role_inline_policies (
  role_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_roles(role_name) ON DELETE CASCADE,
  policy_name TEXT NOT NULL COLLATE NOCASE,
  document TEXT NOT NULL,
  PRIMARY KEY (role_name, policy_name)
);
CREATE TABLE IF NOT EXISTS iam_role_attached_policies (
  role_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_roles(role_name) ON DELETE CASCADE,
  policy_arn TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (role_name, policy_arn)
);
CREATE INDEX IF NOT EXISTS iam_role_attached_policies_by_arn ON iam_role_attached_policies (policy_arn);
CREATE TABLE IF NOT EXISTS iam_policies (
  arn TEXT NOT NULL PRIMARY KEY,
  policy_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  policy_id TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL,
  description TEXT,
  document TEXT NOT NULL,
  create_date TEXT NOT NULL,
  update_date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_policy_tags (
  policy_arn TEXT NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
  tag_key TEXT NOT NULL COLLATE NOCASE,
  tag_value TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (policy_arn, tag_key)
);
`;

interface RoleRow {
  role_name: string;
  role_id: string;
  arn: string;
  path: string;
  trust_policy: string;
  description: string | null;
  max_session_duration: number;
  create_date: string;
  last_used_date: string | null;
  last_used_region: string | null;
}

interface PolicyRow {
  arn: string;
  policy_name: string;
  policy_id: string;
  path: string;
  description: string | null;
  document: string;
  create_date: string;
  update_date: string;
}

interface TagRow {
  tag_key: string;
  tag_value: string;
}

/**
 * Writes run as IMMEDIATE transactions: a check (does the role exist?) and the write that depends on it
 * happen under one lock, so two thumbctl processes on one state directory cannot both create a role.
 */
export class IamStore implements IamForOthers {
  /** Each SQL text compiled once (statementCache). */
  private readonly sql: (text: string) => Statement;

  constructor(
    private readonly db: Db,
    private readonly accountId: string,
  ) {
    migrate(db, SCHEMA);
    this.sql = statementCache(db);
  }

  // ---- roles ---------------------------------------------------------------------------------------

  createRole(input: CreateRoleInput): RoleRecord {
    validateRoleName(input.roleName);
    const path = input.path ?? '/';
    validatePath(path);
    validateTrustPolicyDocument(input.assumeRolePolicyDocument);
    if (input.description !== undefined) validateDescription(input.description);
    const maxSessionDuration = input.maxSessionDuration ?? IAM_LIMITS.minSessionDuration;
    validateMaxSessionDuration(maxSessionDuration);
    const tags = input.tags ?? [];
    validateTags(tags);

    const create = this.db.transaction(() => {
      // Role names are unique without regard to case; AWS answers 409 naming the new role; so do we.
      if (this.findRoleRow(input.roleName)) throw EntityAlreadyExists.role(input.roleName);
      this.sql(
          `INSERT INTO iam_roles (role_name, role_id, arn, path, trust_policy, description, max_session_duration, create_date)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.roleName,
          newUniqueId('AROA'),
          `arn:aws:iam::${this.accountId}:role${path}${input.roleName}`,
          path,
          input.assumeRolePolicyDocument,
          input.description ?? null,
          maxSessionDuration,
          nowIso(),
        );
      this.replaceRoleTags(input.roleName, tags);
    });
    create.immediate();
    return this.getRole(input.roleName);
  }

  /** @throws NoSuchEntity when there is no such role */
  getRole(roleName: string): RoleRecord {
    return this.toRole(this.requireRoleRow(roleName));
  }

  /** The role whose ARN this is, or undefined. */
  findRoleByArn(roleArn: string): RoleRecord | undefined {
    const row = this.sql('SELECT * FROM iam_roles WHERE arn = ?').get(roleArn) as RoleRow | undefined;
    return row ? this.toRole(row) : undefined;
  }

  listRoles(options: PageRequest & { pathPrefix?: string } = {}): Page<RoleRecord> {
    const pathPrefix = options.pathPrefix ?? '/';
    const rows = this.sql('SELECT * FROM iam_roles ORDER BY role_name COLLATE NOCASE').all() as RoleRow[];
    // Page the rows, then build only the page's roles: each reads its tags.
    const page = paginate(rows.filter((row) => row.path.startsWith(pathPrefix)), options);
    return { ...page, items: page.items.map((row) => this.toRole(row)) };
  }

  updateRole(roleName: string, changes: { description?: string; maxSessionDuration?: number }): RoleRecord {
    if (changes.description !== undefined) validateDescription(changes.description);
    if (changes.maxSessionDuration !== undefined) validateMaxSessionDuration(changes.maxSessionDuration);
    const row = this.requireRoleRow(roleName);
    this.sql('UPDATE iam_roles SET description = ?, max_session_duration = ? WHERE role_name = ?')
      .run(changes.description ?? row.description, changes.maxSessionDuration ?? row.max_session_duration, row.role_name);
    return this.getRole(row.role_name);
  }

  /** AWS refuses while anything is attached: managed policies first, then inline ones (409 each). */
  deleteRole(roleName: string): void {
    const remove = this.db.transaction(() => {
      const row = this.requireRoleRow(roleName);
      const attached = this.sql('SELECT COUNT(*) AS n FROM iam_role_attached_policies WHERE role_name = ?').get(row.role_name) as { n: number };
      if (attached.n > 0) throw DeleteConflict.attachedPolicies();
      const inline = this.sql('SELECT COUNT(*) AS n FROM iam_role_inline_policies WHERE role_name = ?').get(row.role_name) as { n: number };
      if (inline.n > 0) throw DeleteConflict.inlinePolicies();
      this.sql('DELETE FROM iam_roles WHERE role_name = ?').run(row.role_name);
    });
    remove.immediate();
  }

  updateAssumeRolePolicy(roleName: string, document: string): void {
    const row = this.requireRoleRow(roleName);
    validateTrustPolicyDocument(document);
    this.sql('UPDATE iam_roles SET trust_policy = ? WHERE role_name = ?').run(document, row.role_name);
  }

  /** Records that STS handed out credentials for the role (GetRole's RoleLastUsed). */
  markRoleUsed(roleName: string, region: string, when = new Date()): void {
    this.sql('UPDATE iam_roles SET last_used_date = ?, last_used_region = ? WHERE role_name = ?').run(formatTimestamp(when), region, roleName);
  }

  // ---- managed policy attachments ------------------------------------------------------------------

  /** Attaching an attached policy again succeeds and changes nothing, as at AWS. */
  attachRolePolicy(roleName: string, policyArn: string): void {
    // AWS answers a PolicyArn that is no ARN at all with this ValidationError (two spaces and all), and a
    // well-formed ARN of no policy with NoSuchEntity; so do we.
    if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(policyArn)) throw new ValidationError('Invalid ARN:  Could not be parsed!');
    if (!POLICY_ARN_PATTERN.test(policyArn)) throw NoSuchEntity.notAttachable(policyArn);
    const attach = this.db.transaction(() => {
      const row = this.requireRoleRow(roleName);
      if (!this.policyExists(policyArn)) throw NoSuchEntity.notAttachable(policyArn);
      const existing = this.attachedArns(row.role_name);
      if (existing.includes(policyArn)) return;
      if (existing.length >= IAM_LIMITS.managedPoliciesPerRole) {
        throw new LimitExceeded(`Cannot exceed quota for PoliciesPerRole: ${IAM_LIMITS.managedPoliciesPerRole}`);
      }
      this.sql(
          `INSERT INTO iam_role_attached_policies (role_name, policy_arn, position)
           VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM iam_role_attached_policies WHERE role_name = ?))`,
        )
        .run(row.role_name, policyArn, row.role_name);
    });
    attach.immediate();
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    validatePolicyArn(policyArn);
    const row = this.requireRoleRow(roleName);
    const result = this.sql('DELETE FROM iam_role_attached_policies WHERE role_name = ? AND policy_arn = ?').run(row.role_name, policyArn);
    if (result.changes === 0) throw NoSuchEntity.policy(policyArn);
  }

  listAttachedRolePolicies(roleName: string, options: PageRequest & { pathPrefix?: string } = {}): Page<AttachedPolicyRecord> {
    const row = this.requireRoleRow(roleName);
    const pathPrefix = options.pathPrefix ?? '/';
    const attached = this.attachedArns(row.role_name)
      .map((arn) => ({ arn, ...splitPolicyArn(arn) }))
      .filter((policy) => policy.path.startsWith(pathPrefix))
      .map((policy) => ({ policyName: policy.name, policyArn: policy.arn }));
    return paginate(attached, options);
  }

  // ---- inline policies -----------------------------------------------------------------------------

  /** Creates or replaces the named inline policy; the role's inline documents share one size quota. */
  putRolePolicy(roleName: string, policyName: string, document: string): void {
    validatePolicyName(policyName);
    const put = this.db.transaction(() => {
      const row = this.requireRoleRow(roleName);
      validateIdentityPolicy(document);
      const others = this.sql('SELECT document FROM iam_role_inline_policies WHERE role_name = ? AND policy_name <> ?')
        .all(row.role_name, policyName) as { document: string }[];
      const total = others.reduce((sum, other) => sum + policySize(other.document), policySize(document));
      if (total > IAM_LIMITS.inlinePolicySizePerRole) {
        throw new LimitExceeded(`Maximum policy size of ${IAM_LIMITS.inlinePolicySizePerRole} bytes exceeded for role ${row.role_name}`);
      }
      this.sql(
          `INSERT INTO iam_role_inline_policies (role_name, policy_name, document) VALUES (?, ?, ?)
           ON CONFLICT (role_name, policy_name) DO UPDATE SET policy_name = excluded.policy_name, document = excluded.document`,
        )
        .run(row.role_name, policyName, document);
    });
    put.immediate();
  }

  getRolePolicy(roleName: string, policyName: string): { roleName: string; policyName: string; document: string } {
    const row = this.requireRoleRow(roleName);
    const policy = this.sql('SELECT policy_name, document FROM iam_role_inline_policies WHERE role_name = ? AND policy_name = ?')
      .get(row.role_name, policyName) as { policy_name: string; document: string } | undefined;
    if (!policy) throw NoSuchEntity.rolePolicy(policyName);
    return { roleName: row.role_name, policyName: policy.policy_name, document: policy.document };
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    const row = this.requireRoleRow(roleName);
    const result = this.sql('DELETE FROM iam_role_inline_policies WHERE role_name = ? AND policy_name = ?').run(row.role_name, policyName);
    if (result.changes === 0) throw NoSuchEntity.rolePolicy(policyName);
  }

  listRolePolicies(roleName: string, options: PageRequest = {}): Page<string> {
    const row = this.requireRoleRow(roleName);
    const names = this.sql('SELECT policy_name FROM iam_role_inline_policies WHERE role_name = ? ORDER BY policy_name')
      .all(row.role_name) as { policy_name: string }[];
    return paginate(
      names.map((name) => name.policy_name),
      options,
    );
  }

  // ---- tags ----------------------------------------------------------------------------------------

  /** Adds tags, replacing the value of a key already present (keys compare without case). */
  tagRole(roleName: string, tags: RoleTag[]): void {
    validateTags(tags);
    const tag = this.db.transaction(() => {
      const row = this.requireRoleRow(roleName);
      const current = this.roleTags(row.role_name);
      const merged = [...current.filter((existing) => !tags.some((added) => sameKey(added.Key, existing.Key))), ...tags];
      if (merged.length > IAM_LIMITS.tagsPerResource) {
        // Wording unverified against AWS; the code and status are IAM's.
        throw new LimitExceeded(`Cannot exceed quota for TagsPerRole: ${IAM_LIMITS.tagsPerResource}`);
      }
      this.replaceRoleTags(row.role_name, merged);
    });
    tag.immediate();
  }

  /** Removing a key that is not there is not an error, as at AWS. */
  untagRole(roleName: string, tagKeys: string[]): void {
    if (tagKeys.length > IAM_LIMITS.tagsPerResource) {
      throw ValidationError.violated('tagKeys', `[${tagKeys.join(', ')}]`, Constraint.maxLength(IAM_LIMITS.tagsPerResource));
    }
    for (const key of tagKeys) validateTagKey(key, 'tagKeys');
    const row = this.requireRoleRow(roleName);
    const remove = this.sql('DELETE FROM iam_role_tags WHERE role_name = ? AND tag_key = ?');
    this.db.transaction(() => {
      for (const key of tagKeys) remove.run(row.role_name, key);
    }).immediate();
  }

  listRoleTags(roleName: string, options: PageRequest = {}): Page<RoleTag> {
    const row = this.requireRoleRow(roleName);
    return paginate(this.roleTags(row.role_name), options);
  }

  // ---- managed policies ----------------------------------------------------------------------------

  createPolicy(input: CreatePolicyInput): PolicyRecord {
    validatePolicyName(input.policyName);
    const path = input.path ?? '/';
    validatePath(path);
    if (input.description !== undefined) validateDescription(input.description);
    validateIdentityPolicy(input.policyDocument);
    if (policySize(input.policyDocument) > IAM_LIMITS.managedPolicySize) {
      throw new LimitExceeded(`Cannot exceed quota for PolicySize: ${IAM_LIMITS.managedPolicySize}`);
    }
    const tags = input.tags ?? [];
    validateTags(tags);
    const arn = `arn:aws:iam::${this.accountId}:policy${path}${input.policyName}`;
    this.db.transaction(() => {
      const clash = this.sql('SELECT 1 FROM iam_policies WHERE policy_name = ?').get(input.policyName);
      if (clash) throw EntityAlreadyExists.policy(input.policyName);
      const now = nowIso();
      this.sql(
          `INSERT INTO iam_policies (arn, policy_name, policy_id, path, description, document, create_date, update_date)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(arn, input.policyName, newUniqueId('ANPA'), path, input.description ?? null, input.policyDocument, now, now);
      const insertTag = this.sql('INSERT INTO iam_policy_tags (policy_arn, tag_key, tag_value, position) VALUES (?, ?, ?, ?)');
      tags.forEach((tag, index) => insertTag.run(arn, tag.Key, tag.Value, index));
    }).immediate();
    return this.getPolicy(arn);
  }

  getPolicy(policyArn: string): PolicyRecord {
    validatePolicyArn(policyArn);
    const managed = AWS_MANAGED_POLICIES.get(policyArn);
    if (managed) {
      return {
        policyName: managed.policyName,
        policyId: managed.policyId,
        arn: policyArn,
        path: managed.path,
        defaultVersionId: managed.defaultVersionId,
        attachmentCount: this.attachmentCount(policyArn),
        description: managed.description,
        createDate: new Date(managed.createDate),
        updateDate: new Date(managed.updateDate),
        tags: [],
        awsManaged: true,
      };
    }
    const row = this.sql('SELECT * FROM iam_policies WHERE arn = ?').get(policyArn) as PolicyRow | undefined;
    if (!row) throw NoSuchEntity.policy(policyArn);
    return this.toPolicy(row);
  }

  getPolicyVersion(policyArn: string, versionId: string): PolicyVersionRecord {
    const policy = this.getPolicy(policyArn);
    // Only the default version is kept; AWS keeps up to five, which the local cloud does not model.
    if (versionId !== policy.defaultVersionId) throw NoSuchEntity.policyVersion(policyArn, versionId);
    return {
      document: this.policyDocument(policyArn) ?? '',
      versionId,
      isDefaultVersion: true,
      createDate: policy.updateDate,
    };
  }

  /** AWS managed policies cannot be deleted; they are not in this account, so they are not found here. */
  deletePolicy(policyArn: string): void {
    validatePolicyArn(policyArn);
    this.db.transaction(() => {
      const row = this.sql('SELECT arn FROM iam_policies WHERE arn = ?').get(policyArn);
      if (!row) throw NoSuchEntity.policy(policyArn);
      if (this.attachmentCount(policyArn) > 0) throw DeleteConflict.policyAttached();
      this.sql('DELETE FROM iam_policies WHERE arn = ?').run(policyArn);
    }).immediate();
  }

  listPolicies(options: PageRequest & { scope?: 'All' | 'AWS' | 'Local'; onlyAttached?: boolean; pathPrefix?: string } = {}): Page<PolicyRecord> {
    const scope = options.scope ?? 'All';
    const pathPrefix = options.pathPrefix ?? '/';
    const policies: PolicyRecord[] = [];
    if (scope !== 'Local') for (const arn of AWS_MANAGED_POLICIES.keys()) policies.push(this.getPolicy(arn));
    if (scope !== 'AWS') {
      const rows = this.sql('SELECT * FROM iam_policies ORDER BY policy_name COLLATE NOCASE').all() as PolicyRow[];
      policies.push(...rows.map((row) => this.toPolicy(row)));
    }
    return paginate(
      policies.filter((policy) => policy.path.startsWith(pathPrefix) && (!options.onlyAttached || policy.attachmentCount > 0)),
      options,
    );
  }

  // ---- IamForOthers --------------------------------------------------------------------------------

  /** The ARN of the role of this name, or the ARN it would have with this path: what IAM authorises against. */
  roleArnFor(roleName: string, path = '/'): string {
    return this.findRoleRow(roleName)?.arn ?? `arn:aws:iam::${this.accountId}:role${path}${roleName}`;
  }

  /** The ARN a customer managed policy of this name and path has. */
  policyArnFor(policyName: string, path = '/'): string {
    return `arn:aws:iam::${this.accountId}:policy${path}${policyName}`;
  }

  /** The role with this unique id (`AROA...`), or undefined. */
  roleById(roleId: string): RoleRecord | undefined {
    const row = this.sql('SELECT * FROM iam_roles WHERE role_id = ?').get(roleId) as RoleRow | undefined;
    return row ? this.toRole(row) : undefined;
  }

  roleByName(roleName: string): { roleName: string; roleId: string; arn: string } | undefined {
    const row = this.findRoleRow(roleName);
    return row ? { roleName: row.role_name, roleId: row.role_id, arn: row.arn } : undefined;
  }

  roleTrustPolicy(roleArn: string): string | undefined {
    return this.findRoleByArn(roleArn)?.assumeRolePolicyDocument;
  }

  rolePolicyDocuments(roleName: string): string[] {
    const row = this.findRoleRow(roleName);
    if (!row) return [];
    const managed = this.attachedArns(row.role_name)
      .map((arn) => this.policyDocument(arn))
      .filter((document): document is string => document !== undefined);
    const inline = this.sql('SELECT document FROM iam_role_inline_policies WHERE role_name = ? ORDER BY policy_name')
      .all(row.role_name) as { document: string }[];
    return [...managed, ...inline.map((policy) => policy.document)];
  }

  /** IamForOthers: the role's policies, evaluated for one call (see evaluate.ts). */
  evaluateRolePolicies(roleName: string, request: AuthorizationRequest): Decision {
    return evaluatePolicies(this.rolePolicyDocuments(roleName), request);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private findRoleRow(roleName: string): RoleRow | undefined {
    return this.sql('SELECT * FROM iam_roles WHERE role_name = ?').get(roleName) as RoleRow | undefined;
  }

  private requireRoleRow(roleName: string): RoleRow {
    const row = this.findRoleRow(roleName);
    if (!row) throw NoSuchEntity.role(roleName);
    return row;
  }

  private toRole(row: RoleRow): RoleRecord {
    return {
      roleName: row.role_name,
      roleId: row.role_id,
      arn: row.arn,
      path: row.path,
      assumeRolePolicyDocument: row.trust_policy,
      description: row.description ?? undefined,
      maxSessionDuration: row.max_session_duration,
      createDate: new Date(row.create_date),
      tags: this.roleTags(row.role_name),
      lastUsed: row.last_used_date ? { date: new Date(row.last_used_date), region: row.last_used_region ?? '' } : undefined,
    };
  }

  private toPolicy(row: PolicyRow): PolicyRecord {
    const tags = this.sql('SELECT tag_key, tag_value FROM iam_policy_tags WHERE policy_arn = ? ORDER BY position')
      .all(row.arn) as TagRow[];
    return {
      policyName: row.policy_name,
      policyId: row.policy_id,
      arn: row.arn,
      path: row.path,
      defaultVersionId: 'v1',
      attachmentCount: this.attachmentCount(row.arn),
      description: row.description ?? undefined,
      createDate: new Date(row.create_date),
      updateDate: new Date(row.update_date),
      tags: tags.map((tag) => ({ Key: tag.tag_key, Value: tag.tag_value })),
      awsManaged: false,
    };
  }

  private roleTags(roleName: string): RoleTag[] {
    const rows = this.sql('SELECT tag_key, tag_value FROM iam_role_tags WHERE role_name = ? ORDER BY position').all(roleName) as TagRow[];
    return rows.map((row) => ({ Key: row.tag_key, Value: row.tag_value }));
  }

  private replaceRoleTags(roleName: string, tags: RoleTag[]): void {
    this.sql('DELETE FROM iam_role_tags WHERE role_name = ?').run(roleName);
    const insert = this.sql('INSERT INTO iam_role_tags (role_name, tag_key, tag_value, position) VALUES (?, ?, ?, ?)');
    tags.forEach((tag, index) => insert.run(roleName, tag.Key, tag.Value, index));
  }

  private attachedArns(roleName: string): string[] {
    const rows = this.sql('SELECT policy_arn FROM iam_role_attached_policies WHERE role_name = ? ORDER BY position')
      .all(roleName) as { policy_arn: string }[];
    return rows.map((row) => row.policy_arn);
  }

  private attachmentCount(policyArn: string): number {
    return (this.sql('SELECT COUNT(*) AS n FROM iam_role_attached_policies WHERE policy_arn = ?').get(policyArn) as { n: number }).n;
  }

  private policyExists(policyArn: string): boolean {
    return AWS_MANAGED_POLICIES.has(policyArn) || this.sql('SELECT 1 FROM iam_policies WHERE arn = ?').get(policyArn) !== undefined;
  }

  /** A managed policy's default document (decoded text), AWS's or the account's. */
  private policyDocument(policyArn: string): string | undefined {
    const managed = AWS_MANAGED_POLICIES.get(policyArn);
    if (managed) return awsManagedPolicyDocumentText(managed);
    const row = this.sql('SELECT document FROM iam_policies WHERE arn = ?').get(policyArn) as { document: string } | undefined;
    return row?.document;
  }
}

// ---- validation (AWS's constraints from the IAM service model) ---------------------------------------

const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007E]+\/)$/;
const DESCRIPTION_PATTERN = /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/(.+\/)?[^/]+$/;

/** RoleName: 1-64 characters of `[\w+=,.@-]`. */
export function validateRoleName(roleName: string): void {
  if (roleName.length < 1) throw ValidationError.violated('roleName', roleName, Constraint.minLength(1));
  if (roleName.length > 64) throw ValidationError.violated('roleName', roleName, Constraint.maxLength(64));
  if (!NAME_PATTERN.test(roleName)) {
    throw ValidationError.violated('roleName', roleName, Constraint.pattern('[\\w+=,.@-]+'));
  }
}

/** PolicyName (inline and managed): 1-128 characters of `[\w+=,.@-]`. */
export function validatePolicyName(policyName: string): void {
  if (policyName.length < 1) throw ValidationError.violated('policyName', policyName, Constraint.minLength(1));
  if (policyName.length > 128) throw ValidationError.violated('policyName', policyName, Constraint.maxLength(128));
  if (!NAME_PATTERN.test(policyName)) {
    throw ValidationError.violated('policyName', policyName, Constraint.pattern('[\\w+=,.@-]+'));
  }
}

/** Path: `/` or `/` + printable ASCII + `/`, at most 512 characters. */
export function validatePath(path: string): void {
  if (path.length > 512) throw ValidationError.violated('path', path, Constraint.maxLength(512));
  if (!PATH_PATTERN.test(path)) {
    throw new ValidationError('The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.');
  }
}

function validateDescription(description: string): void {
  if (description.length > 1000) throw ValidationError.violated('description', description, Constraint.maxLength(1000));
  if (!DESCRIPTION_PATTERN.test(description)) {
    throw ValidationError.violated('description', description, Constraint.pattern('[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*'));
  }
}

function validateMaxSessionDuration(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < IAM_LIMITS.minSessionDuration) {
    throw ValidationError.violated('maxSessionDuration', seconds, Constraint.minValue(IAM_LIMITS.minSessionDuration));
  }
  if (seconds > IAM_LIMITS.maxSessionDuration) {
    throw ValidationError.violated('maxSessionDuration', seconds, Constraint.maxValue(IAM_LIMITS.maxSessionDuration));
  }
}

function validateTrustPolicyDocument(document: string): void {
  validateTrustPolicy(document);
  if (policySize(document) > IAM_LIMITS.trustPolicySize) {
    throw new LimitExceeded(`Cannot exceed quota for ACLSizePerRole: ${IAM_LIMITS.trustPolicySize}`);
  }
}

function validatePolicyArn(policyArn: string): void {
  if (!POLICY_ARN_PATTERN.test(policyArn)) throw new InvalidInput(`ARN ${policyArn} is not valid.`);
}

function validateTags(tags: RoleTag[]): void {
  if (tags.length > IAM_LIMITS.tagsPerResource) {
    throw ValidationError.violated('tags', `[${tags.map((tag) => `${tag.Key}=${tag.Value}`).join(', ')}]`, Constraint.maxLength(IAM_LIMITS.tagsPerResource));
  }
  const seen = new Set<string>();
  for (const tag of tags) {
    validateTagKey(tag.Key, 'tags.X.member.key');
    if (tag.Value.length > 256) throw ValidationError.violated('tags.X.member.value', tag.Value, Constraint.maxLength(256));
    if (!TAG_VALUE_PATTERN.test(tag.Value)) {
      throw ValidationError.violated('tags.X.member.value', tag.Value, Constraint.pattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*'));
    }
    const folded = tag.Key.toLowerCase();
    if (seen.has(folded)) throw new InvalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(folded);
  }
}

function validateTagKey(key: string, member: string): void {
  if (key.length < 1) throw ValidationError.violated(member, key, Constraint.minLength(1));
  if (key.length > 128) throw ValidationError.violated(member, key, Constraint.maxLength(128));
  if (!TAG_KEY_PATTERN.test(key)) {
    throw ValidationError.violated(member, key, Constraint.pattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+'));
  }
}

// ---- helpers -----------------------------------------------------------------------------------------

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** AWS unique ids: a four-letter type prefix (`AROA` role, `ANPA` policy) and 17 upper-case alphanumerics. */
export function newUniqueId(prefix: string): string {
  let id = prefix;
  for (let i = 0; i < 17; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

function splitPolicyArn(arn: string): { path: string; name: string } {
  const resource = arn.slice(arn.indexOf(':policy') + ':policy'.length);
  const lastSlash = resource.lastIndexOf('/');
  return { path: resource.slice(0, lastSlash + 1), name: resource.slice(lastSlash + 1) };
}

function sameKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Opaque markers over a stable ordering: the offset of the next item, base64url-encoded. */
function paginate<T>(items: T[], request: PageRequest): Page<T> {
  const maxItems = request.maxItems ?? 100;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw ValidationError.violated('maxItems', maxItems, maxItems < 1 ? Constraint.minValue(1) : Constraint.maxValue(1000));
  }
  let start = 0;
  if (request.marker !== undefined) {
    start = Number(Buffer.from(request.marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new InvalidInput('Invalid Marker.');
  }
  const page = items.slice(start, start + maxItems);
  const next = start + maxItems;
  return next < items.length ? { items: page, marker: Buffer.from(String(next)).toString('base64url') } : { items: page };
}

function nowIso(): string {
  return formatTimestamp(new Date());
}
