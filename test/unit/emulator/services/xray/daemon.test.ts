import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { parseDaemonDatagram, XRayDaemon } from '../../../../../emulator/services/xray/daemon.js';

describe('parseDaemonDatagram', () => {
  it('splits the header from the document', () => {
    assert.deepEqual(parseDaemonDatagram('{"format": "json", "version": 1}\n{"id":"x"}'), { ok: true, document: '{"id":"x"}' });
  });

  for (const [label, datagram] of [
    ['no header', '{"id":"x"}'],
    ['a header that is not JSON', 'format=json\n{}'],
    ['another format', '{"format":"proto","version":1}\n{}'],
    ['an empty document', '{"format":"json","version":1}\n  '],
  ] as const) {
    it(`refuses a datagram with ${label}`, () => {
      assert.equal(parseDaemonDatagram(datagram).ok, false);
    });
  }
});

describe('XRayDaemon', () => {
  it('delivers documents from datagrams and logs the ones it drops', async () => {
    // Prepare
    const delivered: string[] = [];
    const logged: string[] = [];
    let arrived!: () => void;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const daemon = new XRayDaemon(
      (document) => {
        delivered.push(document);
        arrived();
      },
      (line) => logged.push(line),
    );
    const address = await daemon.start();
    const [host, port] = address.split(':');
    const client = createSocket('udp4');

    try {
      // Act: a bad datagram first; UDP on loopback keeps order.
      client.send('garbage', Number(port), host);
      client.send('{"format":"json","version":1}\n{"id":"y"}', Number(port), host);
      await done;

      // Assess
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(delivered, ['{"id":"y"}']);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /dropped a datagram/);
    } finally {
      client.close();
      await daemon.stop();
    }
  });
});
