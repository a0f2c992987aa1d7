// Fuzzes S3's XML request bodies through the real HTTP server: DeleteObjects, CompleteMultipartUpload,
// CreateBucket and the bucket configurations (notification, tagging, encryption, public access block).
// Each case is a structured document from the operation's own vocabulary, a mutation of one, or noise. The
// server must answer 2xx or an S3 XML error (never a 500, never a stack), and whatever it accepted it must
// be able to give back as well-formed XML that the SDK parses.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { assertProtocolError, countCase, fuzzRuns, fuzzSeed, reportCounts, scopeAuthorization, send, startHostileCloud, type HostileCloud } from '../../helpers/hostile.js';
import { XMLValidator } from 'fast-xml-parser';
import { bodyFrom, nastyText, xmlDocument } from './support.js';

let cloud: HostileCloud;
let s3: S3Client;
let bucket: string;
let uploadId: string;
const KEY = 'multipart-target';

before(async () => {
  cloud = await startHostileCloud();
  s3 = new S3Client({ ...cloud.clientConfig });
  bucket = `fuzz-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: KEY }))).UploadId!;
  await s3.send(new UploadPartCommand({ Bucket: bucket, Key: KEY, UploadId: uploadId, PartNumber: 1, Body: 'part one' }));
});

after(async () => {
  reportCounts('s3-xml');
  s3.destroy();
  await cloud.close();
});

/** ETag of the upload's one part ("part one"), so some CompleteMultipartUpload cases can succeed. */
const PART_ETAG = `"${createHash('md5').update('part one').digest('hex')}"`;
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const md5 = (body: string): string => createHash('md5').update(body, 'utf8').digest('base64');

interface XmlOperation {
  name: string;
  method: string;
  path: () => string;
  roots: string[];
  vocabulary: string[];
  /** Documents of the right shape with hostile values, so the success path is fuzzed too. */
  shaped?: fc.Arbitrary<string>;
  headers?: (body: string) => Record<string, string>;
  /** After a 2xx: read the configuration back through the SDK (which must parse it). */
  readBack?: () => Promise<unknown>;
}

const OPERATIONS: XmlOperation[] = [
  {
    name: 'DeleteObjects',
    method: 'POST',
    path: () => `/${bucket}?delete`,
    roots: ['Delete'],
    vocabulary: ['Object', 'Key', 'VersionId', 'Quiet', 'ETag', 'Size', 'LastModifiedTime'],
    shaped: fc
      .tuple(fc.array(fc.tuple(nastyText, fc.option(nastyText)), { minLength: 1, maxLength: 5 }), fc.option(fc.constantFrom('true', 'false', 'yes')))
      .map(([objects, quiet]) =>
        `<Delete>${quiet === null ? '' : `<Quiet>${quiet}</Quiet>`}${objects.map(([key, version]) => `<Object><Key>${escape(key)}</Key>${version === null ? '' : `<VersionId>${escape(version)}</VersionId>`}</Object>`).join('')}</Delete>`,
      ),
    // S3 wants an integrity header; send a right one half the time so the parser is reached.
    headers: (body) => (body.length % 2 === 0 ? { 'content-md5': md5(body) } : { 'content-md5': md5(`${body}x`) }),
  },
  {
    name: 'CompleteMultipartUpload',
    method: 'POST',
    path: () => `/${bucket}/${KEY}?uploadId=${encodeURIComponent(uploadId)}`,
    roots: ['CompleteMultipartUpload'],
    vocabulary: ['Part', 'PartNumber', 'ETag', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumSHA1', 'ChecksumSHA256', 'ChecksumCRC64NVME'],
    shaped: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('1', '2', '0', '10001', '-1', '1.5'), nastyText), fc.oneof(fc.constant(PART_ETAG), nastyText)), { minLength: 1, maxLength: 3 })
      .map((parts) => `<CompleteMultipartUpload>${parts.map(([number, etag]) => `<Part><PartNumber>${escape(number)}</PartNumber><ETag>${escape(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`),
  },
  {
    name: 'CreateBucket',
    method: 'PUT',
    path: () => `/fuzz-new-${randomBytes(5).toString('hex')}`,
    roots: ['CreateBucketConfiguration'],
    vocabulary: ['LocationConstraint', 'Location', 'Bucket', 'Type', 'Name', 'DataRedundancy'],
  },
  {
    name: 'PutBucketNotificationConfiguration',
    method: 'PUT',
    path: () => `/${bucket}?notification`,
    roots: ['NotificationConfiguration'],
    vocabulary: [
      'CloudFunctionConfiguration', 'LambdaFunctionConfiguration', 'QueueConfiguration', 'TopicConfiguration', 'Id', 'CloudFunction',
      'LambdaFunctionArn', 'Queue', 'QueueArn', 'Topic', 'TopicArn', 'Event', 'Filter', 'S3Key', 'FilterRule', 'Name', 'Value',
      'EventBridgeConfiguration',
    ],
    readBack: () => s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })),
  },
  {
    name: 'PutBucketTagging',
    method: 'PUT',
    path: () => `/${bucket}?tagging`,
    roots: ['Tagging'],
    vocabulary: ['TagSet', 'Tag', 'Key', 'Value'],
    shaped: fc
      .array(fc.tuple(nastyText, nastyText), { maxLength: 4 })
      .map((tags) => `<Tagging><TagSet>${tags.map(([key, value]) => `<Tag><Key>${escape(key)}</Key><Value>${escape(value)}</Value></Tag>`).join('')}</TagSet></Tagging>`),
    headers: (body) => ({ 'content-md5': md5(body) }),
    readBack: () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })),
  },
  {
    name: 'PutBucketEncryption',
    method: 'PUT',
    path: () => `/${bucket}?encryption`,
    roots: ['ServerSideEncryptionConfiguration'],
    vocabulary: ['Rule', 'ApplyServerSideEncryptionByDefault', 'SSEAlgorithm', 'KMSMasterKeyID', 'BucketKeyEnabled'],
    readBack: () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
  },
  {
    name: 'PutPublicAccessBlock',
    method: 'PUT',
    path: () => `/${bucket}?publicAccessBlock`,
    roots: ['PublicAccessBlockConfiguration'],
    vocabulary: ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'],
    readBack: () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
  },
];

describe('S3 XML bodies under fuzzing', () => {
  for (const operation of OPERATIONS) {
    it(`${operation.name}: every body gets 2xx or an S3 XML error, and what was accepted reads back`, async () => {
      await fc.assert(
        fc.asyncProperty(operation.shaped ? fc.oneof(bodyFrom(xmlDocument(operation.roots, operation.vocabulary)), operation.shaped) : bodyFrom(xmlDocument(operation.roots, operation.vocabulary)), async (body) => {
          const response = await send(cloud.endpoint, {
            method: operation.method,
            path: operation.path(),
            headers: { 'content-type': 'application/xml', authorization: scopeAuthorization('s3'), ...operation.headers?.(body) },
            body,
          });
          countCase(`${operation.name} ${response.status}`);
          if (response.status >= 200 && response.status < 300) {
            if (response.body !== '') assert.equal(XMLValidator.validate(response.body), true, `${operation.name} answered XML that does not parse: ${response.body.slice(0, 300)}`);
            await operation.readBack?.().catch((error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
              // A configuration that was stored must come back; "none configured" is the only acceptable miss.
              assert.ok((error.$metadata?.httpStatusCode ?? 0) === 404, `${operation.name} accepted ${JSON.stringify(body)} but reading it back failed: ${String(error)}`);
            });
          } else {
            assertProtocolError(response, 's3', `${operation.name} ${JSON.stringify(body).slice(0, 200)}`);
          }
        }),
        { numRuns: fuzzRuns(40), ...fuzzSeed() },
      );
      assert.deepEqual(cloud.internalErrors(), []);
      await cloud.assertHealthy();
    });
  }

  it('refuses DTDs, entity bombs and external entities without expanding them', async () => {
    const attacks = [
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Tagging><TagSet><Tag><Key>k</Key><Value>&lol3;</Value></Tag></TagSet></Tagging>`,
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>k</Key><Value>&xxe;</Value></Tag></TagSet></Tagging>`,
      `<!doctype Tagging SYSTEM "http://127.0.0.1:1/evil.dtd"><Tagging><TagSet/></Tagging>`,
      `<Tagging><TagSet><Tag><Key>k</Key><Value>&xxe;</Value></Tag></TagSet></Tagging>`,
    ];
    for (const body of attacks) {
      countCase('xml-entity-attack');
      const response = await send(cloud.endpoint, { method: 'PUT', path: `/${bucket}?tagging`, headers: { 'content-md5': md5(body), authorization: scopeAuthorization('s3') }, body });
      if (response.status === 204) {
        const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
        assert.doesNotMatch(JSON.stringify(tags.TagSet), /root:|lollollol/, 'an entity was expanded');
      } else {
        assert.equal(assertProtocolError(response, 's3'), 'MalformedXML');
      }
    }
    assert.deepEqual(cloud.internalErrors(), []);
  });

  it('survives deep nesting and very wide documents', async () => {
    const deep = `<Delete>${'<Object>'.repeat(50_000)}${'</Object>'.repeat(50_000)}</Delete>`;
    const wide = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(20_000)}</Delete>`;
    const unclosed = `<Delete>${'<Object>'.repeat(50_000)}`;
    for (const body of [deep, wide, unclosed]) {
      countCase('xml-deep-or-wide');
      const response = await send(cloud.endpoint, { method: 'POST', path: `/${bucket}?delete`, headers: { 'content-md5': md5(body), authorization: scopeAuthorization('s3') }, body, timeoutMs: 20_000 });
      assert.equal(assertProtocolError(response, 's3', `${body.length} bytes`), 'MalformedXML');
    }
    assert.deepEqual(cloud.internalErrors(), []);
    await cloud.assertHealthy();
  });
});
