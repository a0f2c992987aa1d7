#!/usr/bin/env node
// Runs ceph's s3-tests (a clone outside this repository) on the local cloud's declared S3 scope: starts a
// `local serve` on a fresh state directory, writes an s3tests.conf for it, runs the subset, prints pytest's summary.
// Usage: node scripts/ceph-s3-tests.mjs [path to s3-tests clone, default /tmp/s3-tests] [extra pytest arguments...]
// Needs `npm run build` first, and the clone's Python dependencies (boto3, pytest, munch, isodate, ...); S3TESTS_PYTHON
// names another interpreter (one with a newer botocore).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [clone = '/tmp/s3-tests', ...pytestArguments] = process.argv.slice(2);
const python = process.env.S3TESTS_PYTHON ?? '/usr/bin/python3';

/**
 * The subset: test_s3.py less what the local cloud declares out of scope (ACLs, policies, lifecycle, SSE,
 * CORS, website, tagging, logging, object lock, select, STS/IAM, multiple users or tenants, anonymous
 * access, POST forms, SigV2) and less what AWS itself fails (`fails_on_aws`).
 */
const EXCLUDED_MARKERS = [
  'fails_on_aws', 'appendobject', 'auth_aws2', 'bucket_policy', 'bucket_encryption', 'bucket_logging', 'bucket_logging_cleanup',
  'cloud_transition', 'cloud_restore', 'encryption', 'iam_account', 'iam_cross_account', 'iam_role', 'iam_tenant', 'iam_user',
  'group', 'group_policy', 'lifecycle', 'lifecycle_expiration', 'lifecycle_transition', 'object_lock', 'object_ownership',
  'role_policy', 'session_policy', 's3select', 's3website', 's3website_routing_rules', 's3website_redirect_location', 'sns',
  'sse_s3', 'storage_class', 'tagging', 'user_policy', 'abac_test', 'test_of_sts', 'webidentity_test', 'fails_with_subdomain',
];
const EXCLUDED_NAME_PARTS = [
  'acl', 'cors', 'policy', 'website', 'tagging', 'lifecycle', 'encrypt', 'sse', 'logging', 'lock', 'tenant', 'post_object',
  'torrent', 'anon', 'public', 'nonowner', 'not_owned', 'upload_owner', 'ownership', 'account', 'restore', 'select', 'sts',
  'notification', 'storage_class', 'grant', 'bad_auth', 'invalid_auth', 'presigned', 'access_bucket', '100_continue',
  'return_data', 'get_location',
];

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const port = await freePort();
const scratch = mkdtempSync(join(tmpdir(), 'ceph-s3-tests-'));
const conf = join(scratch, 's3tests.conf');
// The other users (alt, tenant, iam) are required by the conf's reader though no selected test uses them.
writeFileSync(
  conf,
  `[DEFAULT]
host = 127.0.0.1
port = ${port}
is_secure = False
ssl_verify = False

[fixtures]
bucket prefix = s3t-{random}-

[s3 main]
display_name = M. Tester
user_id = testid
email = tester@example.com
api_name =
access_key = 0555b35654ad1656d804
secret_key = h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q==

[s3 alt]
display_name = john.doe
email = john.doe@example.com
user_id = 56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234
access_key = NOPQRSTUVWXYZABCDEFG
secret_key = nopqrstuvwxyzabcdefghijklmnabcdefghijklm

[s3 tenant]
display_name = testx$tenanteduser
user_id = testx$9876543210abcdef0123456789abcdef0123456789abcdef0123456789abcdef
access_key = HIJKLMNOPQRSTUVWXYZA
secret_key = opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab
email = tenanteduser@example.com
tenant = testx

[iam]
email = s3@example.com
user_id = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
access_key = ABCDEFGHIJKLMNOPQRST
secret_key = abcdefghijklmnopqrstuvwxyzabcdefghijklmn
display_name = youruseridhere

[iam root]
access_key = AAAAAAAAAAAAAAAAAAaa
secret_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
user_id = RGW11111111111111111
email = account1@example.com

[iam alt root]
access_key = BBBBBBBBBBBBBBBBBBbb
secret_key = bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
user_id = RGW22222222222222222
email = account2@example.com
`,
);

const markerExpression = `not (${EXCLUDED_MARKERS.join(' or ')})`;
const env = { ...process.env, S3TEST_CONF: conf };
// The name parts are matched against each test function's name here, not with pytest's -k: newer pytest also
// matches -k against the package's name (`s3tests` holds `sts`), which would deselect every test.
const collected = spawnSync(python, ['-m', 'pytest', 's3tests/functional/test_s3.py', '-m', markerExpression, '--collect-only', '-q', '-p', 'no:cacheprovider'], {
  cwd: clone,
  env,
  encoding: 'utf8',
  maxBuffer: 16 * 1024 * 1024,
});
const selected = collected.stdout
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.startsWith('s3tests/functional/test_s3.py::'))
  .filter((id) => !EXCLUDED_NAME_PARTS.some((part) => id.slice(id.indexOf('::') + 2).includes(part)));
if (selected.length === 0) {
  process.stderr.write(`no tests selected; pytest's collection said:\n${collected.stdout}${collected.stderr}`);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
}
const thumbctl = resolve(import.meta.dirname, '..', 'bin', 'thumbctl.js');
const cloud = spawn(process.execPath, [thumbctl, 'local', 'serve', '--port', String(port), '--state-dir', join(scratch, 'state')], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ready, fail) => {
  cloud.once('exit', (code) => fail(new Error(`local serve exited with ${code} before it was ready`)));
  cloud.stdout.on('data', (chunk) => {
    if (String(chunk).includes('local cloud ready')) ready();
  });
});

const result = spawnSync(python, ['-m', 'pytest', ...selected, '-q', '-rfE', '-p', 'no:cacheprovider', ...pytestArguments], { cwd: clone, stdio: 'inherit', env });
cloud.kill('SIGTERM');
await new Promise((stopped) => cloud.once('exit', stopped));
rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);
