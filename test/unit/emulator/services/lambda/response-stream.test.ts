import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { InvokeResponseEventStream, RESPONSE_STREAM_BUFFER_BYTES } from '../../../../../emulator/services/lambda/response-stream.js';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

/** The events of a stream, read in flowing mode (one pushed message per 'data'), decoded by the SDK's codec. */
function readEvents(stream: InvokeResponseEventStream): Promise<{ type: string; body: string }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; body: string }[] = [];
    stream.on('data', (chunk: Buffer) => {
      const message = codec.decode(chunk);
      events.push({ type: String(message.headers[':event-type']?.value), body: Buffer.from(message.body).toString('utf8') });
    });
    stream.on('end', () => resolve(events));
    stream.on('error', reject);
  });
}

describe('InvokeResponseEventStream', () => {
  it('frames each chunk as a PayloadChunk event and ends with InvokeComplete', async () => {
    const stream = new InvokeResponseEventStream();
    stream.sink.write(Buffer.from('one'));
    stream.sink.write(Buffer.from('two'));
    stream.complete({ ErrorCode: 'Error', ErrorDetails: 'broke' });

    const events = await readEvents(stream);

    assert.deepEqual(events, [
      { type: 'PayloadChunk', body: 'one' },
      { type: 'PayloadChunk', body: 'two' },
      { type: 'InvokeComplete', body: JSON.stringify({ ErrorCode: 'Error', ErrorDetails: 'broke' }) },
    ]);
  });

  it('holds at most its bound for a reader that does not read, then asks the writer to wait until it reads', async () => {
    const stream = new InvokeResponseEventStream();
    const chunk = Buffer.alloc(64 * 1024, 1);
    let accepted = 0;
    while (stream.sink.write(chunk)) accepted += 1;
    accepted += 1;

    // Held: within the bound plus the one chunk that crossed it.
    assert.ok(stream.readableLength <= RESPONSE_STREAM_BUFFER_BYTES + chunk.length + 1024, `${stream.readableLength} bytes held`);
    assert.ok(accepted * chunk.length >= RESPONSE_STREAM_BUFFER_BYTES);
    let resumed = false;
    stream.sink.onReady(() => (resumed = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resumed, false, 'no room yet: the writer waits');

    stream.resume();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resumed, true, 'the reader took it: the writer goes on');
  });

  it('drops what comes after its reader went away, and releases a waiting writer', async () => {
    const stream = new InvokeResponseEventStream();
    const reader = new PassThrough({ highWaterMark: 1 });
    stream.pipe(reader);
    const chunk = Buffer.alloc(64 * 1024, 1);
    while (stream.sink.write(chunk));
    let resumed = false;
    stream.sink.onReady(() => (resumed = true));

    reader.destroy();
    await new Promise((resolve) => setImmediate(resolve));

    assert.equal(resumed, true);
    assert.equal(stream.sink.write(chunk), true, 'taken and dropped');
    stream.complete({});
    assert.equal(stream.destroyed, true);
  });
});
