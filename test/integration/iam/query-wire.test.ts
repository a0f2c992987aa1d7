// The Query protocol on the wire, without an SDK in between: the exact XML documents, statuses and
// content types IAM and STS answer with, for POSTed forms and for GET query strings.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { startTestCloud, type TestCloud } from '../../helpers/local-cloud.js';

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}';

/** A SigV4 header naming the service in its credential scope; the local cloud routes on it, never verifies it. */
function signedFor(service: string): Record<string, string> {
  return { authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` };
}

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => name === 'member' });

let cloud: TestCloud;

before(async () => {
  cloud = await startTestCloud();
});

after(async () => {
  await cloud.close();
});

async function post(form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(cloud.endpoint, {
    method: 'POST',
    // Signed (unverified) for the service the form's Version names: the cloud refuses unsigned Query calls.
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...signedFor(form.Version === '2011-06-15' ? 'sts' : 'iam'), ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

describe('IAM on the wire', () => {
  it('answers CreateRole with the Response/Result/ResponseMetadata document and an encoded document', async () => {
    const roleName = `wire-${randomUUID().slice(0, 8)}`;
    const response = await post({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: TRUST });
    assert.equal(response.status, 200);
    assert.equal(response.contentType, 'text/xml');
    assert.match(response.text, new RegExp(`^<CreateRoleResponse xmlns="${IAM_NAMESPACE}"><CreateRoleResult><Role><Path>/</Path><RoleName>${roleName}</RoleName><RoleId>AROA`));
    const parsed = parser.parse(response.text);
    const role = parsed.CreateRoleResponse.CreateRoleResult.Role;
    assert.equal(role.AssumeRolePolicyDocument, encodeURIComponent(TRUST));
    assert.match(role.CreateDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(parsed.CreateRoleResponse.ResponseMetadata.RequestId, /^[0-9a-f-]{36}$/);
  });

  it('serves GET requests with the action in the query string', async () => {
    const roleName = `get-${randomUUID().slice(0, 8)}`;
    await post({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: TRUST });
    const query = new URLSearchParams({ Action: 'GetRole', Version: '2010-05-08', RoleName: roleName });
    const response = await fetch(`${cloud.endpoint}/?${query}`, { headers: signedFor('iam') });
    assert.equal(response.status, 200);
    const parsed = parser.parse(await response.text());
    assert.equal(parsed.GetRoleResponse.GetRoleResult.Role.RoleName, roleName);
  });

  it('writes member lists and IsTruncated like IAM', async () => {
    const roleName = `list-${randomUUID().slice(0, 8)}`;
    await post({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: TRUST, 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': 'x y' });
    const response = await post({ Action: 'ListRoleTags', Version: '2010-05-08', RoleName: roleName });
    assert.match(response.text, /<ListRoleTagsResult><Tags><member><Key>a<\/Key><Value>x y<\/Value><\/member><\/Tags><IsTruncated>false<\/IsTruncated><\/ListRoleTagsResult>/);
  });

  it('escapes text it writes into XML', async () => {
    const roleName = `esc-${randomUUID().slice(0, 8)}`;
    await post({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: TRUST, Description: `<b>"x" & 'y'</b>` });
    const response = await post({ Action: 'GetRole', Version: '2010-05-08', RoleName: roleName });
    assert.match(response.text, /<Description>&lt;b&gt;&quot;x&quot; &amp; &apos;y&apos;&lt;\/b&gt;<\/Description>/);
  });

  it('answers an operation without a result with ResponseMetadata only', async () => {
    const roleName = `del-${randomUUID().slice(0, 8)}`;
    await post({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: TRUST });
    const response = await post({ Action: 'DeleteRole', Version: '2010-05-08', RoleName: roleName });
    assert.equal(response.status, 200);
    assert.match(response.text, new RegExp(`^<DeleteRoleResponse xmlns="${IAM_NAMESPACE}"><ResponseMetadata><RequestId>[0-9a-f-]+</RequestId></ResponseMetadata></DeleteRoleResponse>$`));
  });

  it('answers errors as ErrorResponse with the error status', async () => {
    const response = await post({ Action: 'GetRole', Version: '2010-05-08', RoleName: 'no-such-role-here' });
    assert.equal(response.status, 404);
    assert.equal(response.contentType, 'text/xml');
    assert.match(
      response.text,
      new RegExp(
        `^<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name no-such-role-here cannot be found.</Message></Error><RequestId>[0-9a-f-]+</RequestId></ErrorResponse>$`,
      ),
    );
  });

  it('names a missing parameter the way AWS does', async () => {
    const response = await post({ Action: 'CreateRole', Version: '2010-05-08', AssumeRolePolicyDocument: TRUST });
    assert.equal(response.status, 400);
    const error = parser.parse(response.text).ErrorResponse.Error;
    assert.equal(error.Code, 'ValidationError');
    assert.equal(error.Message, "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null");
  });

  it('answers MissingAction without an Action and NotImplemented (501) for an unmodelled one', async () => {
    const missing = await post({ Version: '2010-05-08' }, signedFor('iam'));
    assert.equal(missing.status, 400);
    assert.equal(parser.parse(missing.text).ErrorResponse.Error.Code, 'MissingAction');
    const unmodelled = await post({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'u' });
    assert.equal(unmodelled.status, 501);
    const error = parser.parse(unmodelled.text).ErrorResponse.Error;
    assert.equal(error.Type, 'Receiver');
    assert.equal(error.Code, 'NotImplemented');
    assert.match(error.Message, /CreateUser/);
  });
});

describe('STS on the wire', () => {
  it('answers GetCallerIdentity under the STS namespace', async () => {
    const response = await post({ Action: 'GetCallerIdentity', Version: '2011-06-15' }, signedFor('sts'));
    assert.equal(response.status, 200);
    assert.match(
      response.text,
      new RegExp(
        `^<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>AKIDEXAMPLE</UserId><Account>000000000000</Account></GetCallerIdentityResult>`,
      ),
    );
  });

  it('answers STS errors as ErrorResponse under the STS namespace', async () => {
    const response = await post({ Action: 'AssumeRole', Version: '2011-06-15', RoleSessionName: 's' });
    assert.equal(response.status, 400);
    assert.match(response.text, new RegExp(`^<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>Sender</Type><Code>ValidationError</Code>`));
  });
});
