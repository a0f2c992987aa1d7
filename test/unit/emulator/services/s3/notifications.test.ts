import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildEventRecord,
  eventMatches,
  keyMatchesFilter,
  matchingDestinations,
  normaliseFilterRuleName,
  Sequencer,
  validateNotificationConfiguration,
  type NotificationConfiguration,
  type NotificationDestination,
} from '../../../../../emulator/services/s3/notifications.js';

function destination(overrides: Partial<NotificationDestination>): NotificationDestination {
  return { kind: 'lambda', id: 'id', arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', events: ['s3:ObjectCreated:*'], filterRules: [], ...overrides };
}

describe('event patterns', () => {
  it('matches wildcards and exact names', () => {
    assert.ok(eventMatches('s3:ObjectCreated:*', 'ObjectCreated:Put'));
    assert.ok(eventMatches('s3:ObjectCreated:*', 'ObjectCreated:CompleteMultipartUpload'));
    assert.ok(eventMatches('s3:ObjectCreated:Put', 'ObjectCreated:Put'));
    assert.ok(!eventMatches('s3:ObjectCreated:Put', 'ObjectCreated:Copy'));
    assert.ok(!eventMatches('s3:ObjectCreated:*', 'ObjectRemoved:Delete'));
    assert.ok(eventMatches('s3:ObjectRemoved:*', 'ObjectRemoved:Delete'));
  });
});

describe('key filters', () => {
  it('matches prefix and suffix case-sensitively, like S3', () => {
    const rules = [
      { name: 'Prefix' as const, value: 'uploads/' },
      { name: 'Suffix' as const, value: '.jpg' },
    ];
    assert.ok(keyMatchesFilter('uploads/cat.jpg', rules));
    assert.ok(!keyMatchesFilter('uploads/cat.JPG', rules));
    assert.ok(!keyMatchesFilter('Uploads/cat.jpg', rules));
    assert.ok(!keyMatchesFilter('thumbnails/cat.jpg', rules));
    assert.ok(keyMatchesFilter('anything', []));
  });

  it('reads rule names in any case and refuses others', () => {
    assert.equal(normaliseFilterRuleName('prefix'), 'Prefix');
    assert.equal(normaliseFilterRuleName('SUFFIX'), 'Suffix');
    assert.throws(() => normaliseFilterRuleName('contains'), { code: 'InvalidArgument' });
  });

  it('selects the destinations whose events and filters match', () => {
    const configuration: NotificationConfiguration = {
      eventBridge: false,
      destinations: [
        destination({ id: 'jpg', filterRules: [{ name: 'Suffix', value: '.jpg' }] }),
        destination({ id: 'removed', events: ['s3:ObjectRemoved:*'] }),
      ],
    };
    assert.deepEqual(matchingDestinations(configuration, 'ObjectCreated:Put', 'a.jpg').map((d) => d.id), ['jpg']);
    assert.deepEqual(matchingDestinations(configuration, 'ObjectCreated:Put', 'a.png').map((d) => d.id), []);
    assert.deepEqual(matchingDestinations(configuration, 'ObjectRemoved:Delete', 'a.png').map((d) => d.id), ['removed']);
  });
});

describe('configuration validation', () => {
  it('refuses unsupported events', () => {
    const configuration = { eventBridge: false, destinations: [destination({ events: ['s3:ObjectCreated:Bogus'] })] };
    assert.throws(() => validateNotificationConfiguration(configuration), { code: 'InvalidArgument' });
  });

  it('refuses two prefix rules in one filter', () => {
    const rules = [
      { name: 'Prefix' as const, value: 'a' },
      { name: 'Prefix' as const, value: 'b' },
    ];
    assert.throws(() => validateNotificationConfiguration({ eventBridge: false, destinations: [destination({ filterRules: rules })] }), {
      code: 'InvalidArgument',
    });
  });

  it('refuses overlapping configurations and accepts disjoint suffixes', () => {
    const overlapping = [destination({ id: 'a' }), destination({ id: 'b', events: ['s3:ObjectCreated:Put'] })];
    assert.throws(() => validateNotificationConfiguration({ eventBridge: false, destinations: overlapping }), /Configurations overlap/);
    const disjoint = [
      destination({ id: 'a', filterRules: [{ name: 'Suffix', value: '.jpg' }] }),
      destination({ id: 'b', filterRules: [{ name: 'Suffix', value: '.png' }] }),
    ];
    assert.doesNotThrow(() => validateNotificationConfiguration({ eventBridge: false, destinations: disjoint }));
  });
});

describe('event records', () => {
  it('shapes a record as S3 does, with the key form-encoded and no quotes on the ETag', () => {
    const record = buildEventRecord({
      eventName: 'ObjectCreated:Put',
      eventTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      region: 'us-east-1',
      bucket: 'photos',
      bucketOwnerPrincipalId: 'AOWNER',
      principalId: 'AWS:test',
      sourceIp: '127.0.0.1',
      requestId: 'REQ',
      hostId: 'HOST',
      configurationId: 'cfg',
      key: 'uploads/my cat+1.jpg',
      size: 12,
      etag: 'abc',
      sequencer: '0000000000000000AB',
    });
    assert.deepEqual(record, {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-01-02T03:04:05.678Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:test' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'REQ', 'x-amz-id-2': 'HOST' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'cfg',
        bucket: { name: 'photos', ownerIdentity: { principalId: 'AOWNER' }, arn: 'arn:aws:s3:::photos' },
        object: { key: 'uploads/my+cat%2B1.jpg', size: 12, eTag: 'abc', sequencer: '0000000000000000AB' },
      },
    });
  });

  it('issues sequencers that grow, even within one millisecond', () => {
    const sequencer = new Sequencer();
    const values = [sequencer.next(1000), sequencer.next(1000), sequencer.next(999), sequencer.next(2000)];
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `${values[i]} > ${values[i - 1]}`);
    assert.ok(values.every((value) => value.length === values[0]!.length));
  });
});
