// The IAM documents setup writes, and the structural comparison that decides whether to write them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  buildAccessPolicy,
  buildTrustPolicy,
  canonicalPolicy,
  decodePolicyDocument,
  fillTemplate,
  managedPolicyArn,
  MANAGED_POLICIES,
  partitionOf,
  samePolicy,
} from '../../../../../cli/core/provision/policies.js';

const buckets = { sourceBucket: 'uploads-bucket', thumbnailBucket: 'thumbs-bucket', region: 'eu-west-1' };

describe('the trust policy', () => {
  it('lets only the Lambda service assume the role', () => {
    const policy = buildTrustPolicy();
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    assert.equal(statements.length, 1);
    assert.deepEqual(statements[0]!.Principal, { Service: 'lambda.amazonaws.com' });
    assert.equal(statements[0]!.Action, 'sts:AssumeRole');
    assert.equal(statements[0]!.Effect, 'Allow');
  });
});

describe('the access policy', () => {
  it('allows reading uploads and writing thumbnails, nothing else', () => {
    const policy = buildAccessPolicy(buckets);
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    const grants = statements.map((statement) => [statement.Effect, statement.Action, statement.Resource]);
    assert.deepEqual(grants, [
      ['Allow', 's3:GetObject', 'arn:aws:s3:::uploads-bucket/*'],
      ['Allow', 's3:PutObject', 'arn:aws:s3:::thumbs-bucket/*'],
    ]);
    assert.doesNotMatch(JSON.stringify(policy), /\{\{|s3:\*|"\*"/, 'no placeholders or wildcards left');
  });

  it('uses the partition of the region', () => {
    const policy = buildAccessPolicy({ ...buckets, region: 'cn-north-1' });
    assert.match(JSON.stringify(policy), /arn:aws-cn:s3:::uploads-bucket\/\*/);
    assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
    assert.equal(partitionOf('us-east-1'), 'aws');
  });

  it('names the two managed policies by their AWS ARNs', () => {
    assert.deepEqual(
      MANAGED_POLICIES.map((policy) => managedPolicyArn(policy, 'us-east-1')),
      ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess'],
    );
  });

  it('refuses a template placeholder that has no value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbctl-templates-'));
    try {
      writeFileSync(join(dir, 'broken.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Resource: '{{Nope}}' }] }));
      assert.throws(() => fillTemplate('broken.json', {}, dir), /\{\{Nope\}\}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('comparing policy documents', () => {
  const ours = buildAccessPolicy(buckets);

  it('treats key order, "x" vs ["x"] and statement order as the same document', () => {
    const statements = ours.Statement as Record<string, unknown>[];
    const reordered = {
      Statement: [...statements].reverse().map((statement) => ({ Resource: [statement.Resource], Action: [statement.Action], Effect: statement.Effect, Sid: statement.Sid })),
      Version: '2012-10-17',
    };
    assert.ok(samePolicy(ours, reordered));
  });

  it('reads the URL-encoded documents IAM returns', () => {
    const encoded = encodeURIComponent(JSON.stringify(ours));
    assert.ok(samePolicy(ours, decodePolicyDocument(encoded)));
    assert.ok(samePolicy(ours, decodePolicyDocument(JSON.stringify(ours))));
    assert.equal(decodePolicyDocument(undefined), undefined);
  });

  it('sees a widened grant as a different document', () => {
    const widened = JSON.parse(JSON.stringify(ours)) as { Statement: Record<string, unknown>[] };
    widened.Statement[0]!.Action = ['s3:GetObject', 's3:DeleteObject'];
    assert.equal(samePolicy(ours, widened), false);
    const otherBucket = buildAccessPolicy({ ...buckets, sourceBucket: 'someone-else' });
    assert.equal(samePolicy(ours, otherBucket), false);
  });

  it('treats a lone statement object as a list of one', () => {
    const trust = buildTrustPolicy();
    const statement = (trust.Statement as Record<string, unknown>[])[0]!;
    assert.deepEqual(canonicalPolicy({ ...trust, Statement: statement }), canonicalPolicy(trust));
  });
});
