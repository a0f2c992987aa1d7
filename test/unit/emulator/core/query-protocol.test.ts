// The shared Query-protocol helpers: parameters from forms and query strings, member lists, XML escaping
// and the response/error documents, checked without a server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../../../../emulator/core/errors.js';
import type { ServiceRequest } from '../../../../emulator/core/http.js';
import {
  escapeXml,
  formatTimestamp,
  QueryParams,
  queryErrorResponse,
  queryErrorXml,
  queryResultXml,
  toXmlElement,
  ValidationError,
} from '../../../../emulator/core/query-protocol.js';

const NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

function request(parts: { query?: string; body?: string; contentType?: string }): Pick<ServiceRequest, 'query' | 'headers' | 'body'> {
  return {
    query: new URLSearchParams(parts.query ?? ''),
    headers: parts.contentType === undefined ? {} : { 'content-type': parts.contentType },
    body: Buffer.from(parts.body ?? ''),
  };
}

/** Parses XML the way a client would, entities (numeric ones too) decoded. */
const parser = new XMLParser({ htmlEntities: true, parseTagValue: false, trimValues: false, ignoreAttributes: false });

describe('QueryParams', () => {
  it('reads a POSTed form body', () => {
    const params = QueryParams.fromRequest(
      request({ body: 'Action=CreateRole&Version=2010-05-08&RoleName=r%2Bx&Path=%2F', contentType: 'application/x-www-form-urlencoded; charset=utf-8' }),
    );
    assert.equal(params.action, 'CreateRole');
    assert.equal(params.get('RoleName'), 'r+x');
    assert.equal(params.get('Path'), '/');
  });

  it('reads a GET query string', () => {
    const params = QueryParams.fromRequest(request({ query: 'Action=GetRole&RoleName=abc' }));
    assert.equal(params.action, 'GetRole');
    assert.equal(params.get('RoleName'), 'abc');
  });

  it('lets the body win over the query string', () => {
    const params = QueryParams.fromRequest(request({ query: 'Action=GetRole&RoleName=fromQuery', body: 'RoleName=fromBody', contentType: 'application/x-www-form-urlencoded' }));
    assert.equal(params.action, 'GetRole');
    assert.equal(params.get('RoleName'), 'fromBody');
  });

  it('ignores a body that is not a form', () => {
    const params = QueryParams.fromRequest(request({ query: 'Action=GetRole', body: '{"Action":"x"}', contentType: 'application/json' }));
    assert.equal(params.action, 'GetRole');
    assert.deepEqual(params.names(), ['Action']);
  });

  it('keeps a plus sign decoded as a space, as forms mean it', () => {
    assert.equal(QueryParams.fromForm('Description=a+b%2Bc').get('Description'), 'a b+c');
  });

  it('reads member lists of structures ordered by index, not by position', () => {
    const params = QueryParams.fromForm(
      'Tags.member.10.Key=ten&Tags.member.10.Value=10&Tags.member.2.Value=2&Tags.member.2.Key=two&Tags.member.1.Key=one&Tags.member.1.Value=',
    );
    assert.deepEqual(params.memberList('Tags'), [
      { Key: 'one', Value: '' },
      { Key: 'two', Value: '2' },
      { Key: 'ten', Value: '10' },
    ]);
  });

  it('reads member lists of strings and skips malformed indexes', () => {
    const params = QueryParams.fromForm('TagKeys.member.2=b&TagKeys.member.1=a&TagKeys.member.x=bad&TagKeys.member.0=zero&TagKeysExtra.member.1=no');
    assert.deepEqual(params.stringList('TagKeys'), ['a', 'b']);
  });

  it('does not let a member named __proto__ reach the prototype', () => {
    const [record] = QueryParams.fromForm('Tags.member.1.__proto__=x&Tags.member.1.Key=k').memberList('Tags');
    assert.deepEqual(record, { Key: 'k' });
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
  });

  it('answers an empty list when the prefix is absent', () => {
    const params = QueryParams.fromForm('Action=TagRole');
    assert.deepEqual(params.memberList('Tags'), []);
    assert.deepEqual(params.stringList('TagKeys'), []);
  });

  it('reads entry maps', () => {
    const params = QueryParams.fromForm('Attributes.entry.2.key=b&Attributes.entry.2.value=2&Attributes.entry.1.key=a&Attributes.entry.1.value=1');
    assert.deepEqual([...params.map('Attributes')], [
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('refuses a missing required parameter the way AWS words it', () => {
    assert.throws(
      () => QueryParams.fromForm('Action=GetRole').required('RoleName'),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.status === 400 &&
        error.message === "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('reads integers and booleans strictly', () => {
    const params = QueryParams.fromForm('MaxItems=20&Bad=2x&OnlyAttached=true&Flag=yes');
    assert.equal(params.integer('MaxItems'), 20);
    assert.equal(params.integer('Missing'), undefined);
    assert.throws(() => params.integer('Bad'), ValidationError);
    assert.equal(params.boolean('OnlyAttached'), true);
    assert.throws(() => params.boolean('Flag'), ValidationError);
  });

  it('round-trips any list of tags through a form', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ Key: fc.string(), Value: fc.string() }), { maxLength: 15 }), (tags) => {
        const form = new URLSearchParams();
        tags.forEach((tag, index) => {
          form.set(`Tags.member.${index + 1}.Key`, tag.Key);
          form.set(`Tags.member.${index + 1}.Value`, tag.Value);
        });
        assert.deepEqual(QueryParams.fromForm(form.toString()).memberList('Tags'), tags.map((tag) => ({ ...tag })));
      }),
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('writes carriage returns as a character reference so parsers keep them', () => {
    assert.equal(escapeXml('a\r\nb'), 'a&#xD;\nb');
  });

  it('replaces characters XML 1.0 cannot carry', () => {
    assert.equal(escapeXml('a\u0000b\u001Fc\uFFFEd'), 'a\uFFFDb\uFFFDc\uFFFDd');
    assert.equal(escapeXml('lone \uD800 high, lone \uDC00 low'), 'lone \uFFFD high, lone \uFFFD low');
  });

  it('keeps tabs, newlines, non-ASCII and astral characters as they are', () => {
    assert.equal(escapeXml('\tü 日本 😀\n'), '\tü 日本 😀\n');
  });

  it('round-trips any well-formed text through an XML parser', () => {
    const xmlSafe = fc.string({ unit: 'binary' }).filter((text) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(text));
    fc.assert(
      fc.property(xmlSafe, (text) => {
        const parsed = parser.parse(`<v>${escapeXml(text)}</v>`) as { v: string };
        assert.equal(parsed.v ?? '', text);
      }),
    );
  });
});

describe('toXmlElement', () => {
  it('writes nested structures in key order and leaves out undefined and null', () => {
    assert.equal(toXmlElement('Role', { RoleName: 'r', Description: undefined, Path: '/', Other: null, Count: 3, Flag: false }), '<Role><RoleName>r</RoleName><Path>/</Path><Count>3</Count><Flag>false</Flag></Role>');
  });

  it('writes arrays as member lists, empty ones too', () => {
    assert.equal(toXmlElement('PolicyNames', ['a', 'b']), '<PolicyNames><member>a</member><member>b</member></PolicyNames>');
    assert.equal(toXmlElement('Tags', [{ Key: 'k', Value: '<v>' }]), '<Tags><member><Key>k</Key><Value>&lt;v&gt;</Value></member></Tags>');
    assert.equal(toXmlElement('Roles', []), '<Roles></Roles>');
  });

  it('writes dates as ISO 8601 UTC without milliseconds', () => {
    assert.equal(toXmlElement('CreateDate', new Date('2026-01-02T03:04:05.678Z')), '<CreateDate>2026-01-02T03:04:05Z</CreateDate>');
    assert.equal(formatTimestamp(new Date(0)), '1970-01-01T00:00:00Z');
  });
});

describe('Query response documents', () => {
  it('wraps a result in <Action>Response / <Action>Result with the request id', () => {
    const xml = queryResultXml({ action: 'GetRole', namespace: NAMESPACE, requestId: 'req-1', result: { Role: { RoleName: 'r' } } });
    assert.equal(
      xml,
      '<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><RoleName>r</RoleName></Role></GetRoleResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetRoleResponse>',
    );
  });

  it('leaves out the Result element for operations without one', () => {
    const xml = queryResultXml({ action: 'DeleteRole', namespace: NAMESPACE, requestId: 'req-2' });
    assert.equal(xml, '<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteRoleResponse>');
  });

  it('writes client errors as Sender with an escaped message', () => {
    const xml = queryErrorXml(new AwsError('NoSuchEntity', 'The role with name <x> cannot be found.', 404), NAMESPACE, 'req-3');
    assert.equal(
      xml,
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>' +
        '<Message>The role with name &lt;x&gt; cannot be found.</Message></Error><RequestId>req-3</RequestId></ErrorResponse>',
    );
  });

  it('writes server errors as Receiver and keeps the error status', () => {
    const response = queryErrorResponse(new AwsError('ServiceFailure', 'boom', 500), NAMESPACE, 'req-4');
    assert.equal(response.status, 500);
    assert.equal(response.headers?.['content-type'], 'text/xml');
    const parsed = parser.parse(String(response.body)) as { ErrorResponse: { Error: { Type: string; Code: string } } };
    assert.equal(parsed.ErrorResponse.Error.Type, 'Receiver');
    assert.equal(parsed.ErrorResponse.Error.Code, 'ServiceFailure');
  });
});
