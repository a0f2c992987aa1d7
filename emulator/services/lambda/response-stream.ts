// InvokeWithResponseStream's answer body: an `application/vnd.amazon.eventstream` of PayloadChunk events, one per
// chunk the function writes, as it writes them, then one InvokeComplete. Messages are framed by the SDK's own
// codec (@smithy/eventstream-codec); nothing here knows the framing. It runs no function and reads no request.
import { Readable, type Writable } from 'node:stream';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { InvokeWithResponseStreamCompleteEvent } from '@aws-sdk/client-lambda';
import type { ResponseStreamSink } from '../../runtime/runtime-api.js';

/**
 * Encoded events held for a reader slower than the function: past this the function's upload is paused (its
 * writes wait, as a Lambda function's do on a slow client) rather than anything gathered here.
 */
export const RESPONSE_STREAM_BUFFER_BYTES = 1_048_576;

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

/** One event of the stream, as Lambda's model names it: the event type and the message's content type. */
function encodeEvent(eventType: 'PayloadChunk' | 'InvokeComplete', contentType: string, body: Uint8Array): Buffer {
  const message = codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: contentType },
      ':message-type': { type: 'string', value: 'event' },
    },
    body,
  });
  return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/**
 * The event stream of one InvokeWithResponseStream call. The function's chunks come in through `sink` (the
 * runtime pauses the function while `sink.write` answers false); `complete` ends it. A client that goes away
 * before the end stops nothing: as on Lambda, the invocation runs to its end, and what it still writes is dropped.
 */
export class InvokeResponseEventStream extends Readable {
  /** Whether any chunk was written (a function that answered whole sends its answer through `complete`'s caller). */
  wroteChunks = false;
  private ended = false;
  private readerGone = false;
  private waiting: (() => void)[] = [];

  readonly sink: ResponseStreamSink = {
    write: (chunk) => {
      if (this.ended || this.readerGone) return true;
      this.wroteChunks = true;
      return this.push(encodeEvent('PayloadChunk', 'application/octet-stream', chunk));
    },
    onReady: (resume) => {
      if (this.ended || this.readerGone) resume();
      else this.waiting.push(resume);
    },
  };

  constructor() {
    super({ highWaterMark: RESPONSE_STREAM_BUFFER_BYTES });
  }

  /** Sends one chunk that the function answered whole (not streamed): AWS sends a buffered answer as one chunk. */
  writeWhole(payload: Buffer): void {
    if (payload.length > 0) this.sink.write(payload);
  }

  /** The last event (InvokeComplete: the error, if any, and the log tail), then the end of the stream. */
  complete(event: InvokeWithResponseStreamCompleteEvent): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.readerGone) {
      this.push(encodeEvent('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(event))));
      this.push(null);
    }
    this.releaseWaiting();
  }

  /** The server pipes this into the HTTP response: the response closing before the end means the client went away. */
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    (destination as unknown as Writable).once('close', () => {
      if (this.ended) return;
      this.readerGone = true;
      this.releaseWaiting();
      this.destroy();
    });
    return super.pipe(destination, options);
  }

  override _read(): void {
    this.releaseWaiting();
  }

  private releaseWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }
}
