// CloudWatch Logs' tags on log groups, in their own table (rows go with their group): TagResource, UntagResource and
// ListTagsForResource name the group by its ARN (without the trailing `:*`, which is refused as AWS refuses it);
// the older TagLogGroup, UntagLogGroup and ListTagsLogGroup by name; CreateLogGroup takes `tags` too. Log streams,
// destinations and other taggable Logs resources are not modelled. Never sees HTTP.
import { migrate, statementCache, type Db } from '../../state/database.js';
import { InvalidParameterException, ResourceNotFoundException, TooManyTagsException } from './errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs_group_tags (
  group_id INTEGER NOT NULL REFERENCES logs_groups(id) ON DELETE CASCADE,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (group_id, tag_key)
);
`;

/** AWS's limits on a log group's tags (the Logs API reference: TagResource). */
export const LOG_TAG_LIMITS = { perResource: 50, keyLength: 128, valueLength: 256 } as const;

// The model's patterns: keys may not start with `aws:`, the prefix AWS keeps for itself.
const KEY_PATTERN = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const KEY_CONSTRAINT = 'Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+$]';
const VALUE_CONSTRAINT = 'Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$]';

interface Scope {
  region: string;
  accountId: string;
}

/** Checks a `tags` map as the Logs model constrains it (1 to 50 entries, key and value patterns). */
export function validateLogTags(tags: Record<string, string> | undefined, member = 'tags'): Record<string, string> {
  if (tags === undefined) throw InvalidParameterException.missing(member);
  const entries = Object.entries(tags);
  if (entries.length < 1 || entries.length > LOG_TAG_LIMITS.perResource) {
    throw InvalidParameterException.violated(member, JSON.stringify(tags), `Member must have length less than or equal to ${LOG_TAG_LIMITS.perResource}, Member must have length greater than or equal to 1`);
  }
  for (const [key, value] of entries) {
    if (key.length > LOG_TAG_LIMITS.keyLength || !KEY_PATTERN.test(key)) throw InvalidParameterException.violated(member, JSON.stringify(tags), KEY_CONSTRAINT);
    if (value.length > LOG_TAG_LIMITS.valueLength || !VALUE_PATTERN.test(value)) throw InvalidParameterException.violated(member, JSON.stringify(tags), VALUE_CONSTRAINT);
  }
  return tags;
}

function validateTagKeys(keys: string[] | undefined, member: string): string[] {
  if (keys === undefined) throw InvalidParameterException.missing(member);
  if (keys.length < 1 || keys.length > LOG_TAG_LIMITS.perResource) {
    throw InvalidParameterException.violated(member, `[${keys.join(', ')}]`, `Member must have length less than or equal to ${LOG_TAG_LIMITS.perResource}, Member must have length greater than or equal to 1`);
  }
  return keys;
}

export class LogGroupTags {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(
    private readonly db: Db,
    private readonly scope: Scope,
  ) {
    migrate(db, SCHEMA);
    this.sql = statementCache(db);
  }

  /** The group a TagResource-family ARN names: `arn:aws:logs:<region>:<account>:log-group:<name>` of this cloud. */
  groupOfArn(arn: string | undefined): string {
    if (arn === undefined) throw InvalidParameterException.missing('resourceArn');
    const match = /^arn:aws[\w-]*:logs:([^:]*):([^:]*):log-group:([^:]+)$/.exec(arn);
    // AWS answers an ARN with the `:*` of DescribeLogGroups' `arn` field, or of another region or account, as not found.
    if (!match || match[1] !== this.scope.region || match[2] !== this.scope.accountId) throw ResourceNotFoundException.logGroup();
    return match[3]!;
  }

  list(groupName: string | undefined): Record<string, string> {
    const groupId = this.requireGroupId(groupName);
    const rows = this.sql('SELECT tag_key, tag_value FROM logs_group_tags WHERE group_id = ? ORDER BY tag_key').all(groupId) as { tag_key: string; tag_value: string }[];
    return Object.fromEntries(rows.map((row) => [row.tag_key, row.tag_value]));
  }

  /** Adds tags, replacing the values of keys already there; the group may end with at most 50. */
  tag(groupName: string | undefined, tags: Record<string, string> | undefined, member = 'tags'): void {
    const valid = validateLogTags(tags, member);
    this.db.transaction(() => {
      const groupId = this.requireGroupId(groupName);
      const current = this.list(groupName);
      if (Object.keys({ ...current, ...valid }).length > LOG_TAG_LIMITS.perResource) throw TooManyTagsException.of(groupName!);
      const upsert = this.sql('INSERT INTO logs_group_tags (group_id, tag_key, tag_value) VALUES (?, ?, ?) ON CONFLICT (group_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value');
      for (const [key, value] of Object.entries(valid)) upsert.run(groupId, key, value);
    }).immediate();
  }

  /** Removes the keys given; keys the group does not carry are ignored, as AWS ignores them. */
  untag(groupName: string | undefined, keys: string[] | undefined, member = 'tagKeys'): void {
    const valid = validateTagKeys(keys, member);
    const groupId = this.requireGroupId(groupName);
    const remove = this.sql('DELETE FROM logs_group_tags WHERE group_id = ? AND tag_key = ?');
    this.db.transaction(() => {
      for (const key of valid) remove.run(groupId, key);
    })();
  }

  private requireGroupId(name: string | undefined): number {
    if (name === undefined) throw InvalidParameterException.missing('logGroupName');
    const row = this.sql('SELECT id FROM logs_groups WHERE name = ?').get(name) as { id: number } | undefined;
    if (!row) throw ResourceNotFoundException.logGroup();
    return row.id;
  }
}
