// Builds S3 notification events the way S3 sends them (keys URL-encoded, form-style).

import { readFileSync } from 'node:fs';

import type { S3Event, S3EventRecord } from '../../../../function/handler.js';

/**
 * One ObjectCreated:Put record.
 *
 * @param bucket - Source bucket name.
 * @param rawKey - The key as it appears in the event, i.e. already URL-encoded.
 * @param eventName - Override the event name.
 */
export function putRecord(bucket: string, rawKey: string, eventName = 'ObjectCreated:Put'): S3EventRecord {
  return {
    eventName,
    s3: { bucket: { name: bucket }, object: { key: rawKey, size: 1 } },
  };
}

/**
 * @param records - The records.
 */
export function s3Event(...records: S3EventRecord[]): S3Event {
  return { Records: records };
}

/**
 * Encodes a key the way S3 writes it into events: percent-encoding, with spaces as `+`.
 *
 * @param key - The real object key.
 */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/** The checked-in template used by `thumbctl invoke`. */
export function templateEvent(): S3Event & { Records: S3EventRecord[] } {
  return JSON.parse(readFileSync(new URL('../../../../templates/s3-put-event.json', import.meta.url), 'utf8'));
}
