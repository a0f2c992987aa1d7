// What the CLI writes for people (stderr) never carries a credential, even when an error message or a --debug
// stack quotes one: presigned-URL signatures and session tokens, Authorization signatures, and the values of
// the secret environment variables are masked. Results on stdout are not touched (upload's URL is asked for).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Output, redactSecrets, registerSecret } from '../../../cli/output.js';

const ENV = { AWS_SECRET_ACCESS_KEY: 'CANARYSECRETxyz123abc456', AWS_SESSION_TOKEN: 'CANARYTOKENqwe987rty654', THUMBCTL_LOCAL_SECRET_ACCESS_KEY: 'short' };

describe('redactSecrets', () => {
  it('masks presigned-URL signatures and tokens, Authorization signatures and secret values', () => {
    const url = 'http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const redacted = redactSecrets(`fetch failed for ${url}`, ENV);
    assert.doesNotMatch(redacted, /0123456789abcdef|IQoJb3JpZ2luX2VjEJr/);
    assert.match(redacted, /X-Amz-Signature=\[redacted\]/);
    assert.match(redacted, /X-Amz-Credential=AKID/, 'the access key id and the rest of the URL stay readable');
    const header = 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fedcba9876543210fedcba9876543210';
    assert.match(redactSecrets(header, ENV), /Signature=\[redacted\]$/);
    assert.equal(redactSecrets('{"x-amz-security-token":"abcDEF123"}', ENV), '{"x-amz-security-token":"[redacted]"}');
    assert.equal(redactSecrets(`secret ${ENV.AWS_SECRET_ACCESS_KEY} and token ${ENV.AWS_SESSION_TOKEN}`, ENV), 'secret [redacted] and token [redacted]');
    assert.equal(redactSecrets('a short value is not a secret worth garbling text for', ENV), 'a short value is not a secret worth garbling text for');
  });

  it('masks a secret read once and scrubbed from the environment (the local cloud\'s key)', () => {
    const secret = 'local-cloud-secret-read-from-a-file';
    assert.equal(redactSecrets(`key ${secret}`, {}), `key ${secret}`);
    registerSecret(secret);
    assert.equal(redactSecrets(`key ${secret}`, {}), 'key [redacted]');
  });

  it('is applied to what Output writes on stderr, not to results on stdout', () => {
    const written: { stdout: string; stderr: string } = { stdout: '', stderr: '' };
    const stream = (name: 'stdout' | 'stderr') => ({ write: (text: string) => ((written[name] += text), true), isTTY: false }) as unknown as NodeJS.WriteStream;
    const output = new Output({ json: false, stdout: stream('stdout'), stderr: stream('stderr') });
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = ENV.AWS_SECRET_ACCESS_KEY;
    try {
      output.error(`AccessDenied for key with secret ${ENV.AWS_SECRET_ACCESS_KEY}`);
      output.warn('see X-Amz-Signature=abcdef0123456789');
      output.info(`stack mentioning ${ENV.AWS_SECRET_ACCESS_KEY}`);
      output.print('url        http://h/k?X-Amz-Signature=abcdef0123456789');
    } finally {
      if (saved === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
    assert.ok(!written.stderr.includes(ENV.AWS_SECRET_ACCESS_KEY));
    assert.ok(!written.stderr.includes('abcdef0123456789'));
    assert.match(written.stdout, /X-Amz-Signature=abcdef0123456789/, "the user's requested URL is printed as is");
  });
});
