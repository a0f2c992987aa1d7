// Generators shared by the hostile-input tests: XML trees and JSON documents built from a service's own
// vocabulary (so fuzz cases get past the first "unknown field" check and reach the deeper rules), random
// byte-level mutations of valid documents, and the protocol each service answers errors in.
import fc from 'fast-check';
import type { ServiceName } from '../../../emulator/core/routing.js';
import type { Protocol } from '../../helpers/hostile.js';

export const PROTOCOL_OF: Record<ServiceName, Protocol> = {
  s3: 's3',
  iam: 'query',
  sts: 'query',
  logs: 'json-1.1',
  lambda: 'rest-json',
  xray: 'rest-json',
  s3control: 's3-control',
};

/** Text that tends to break parsers: numbers at the edges, entities, markup, control and astral characters. */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    'true',
    'false',
    'TRUE',
    '0',
    '-1',
    '1e309',
    '99999999999999999999999',
    'NaN',
    'null',
    '__proto__',
    'constructor',
    '&amp;',
    '&#0;',
    '&#x1F600;',
    '&bogus;',
    ']]>',
    '<![CDATA[x]]>',
    '"',
    "'",
    '\\',
    '\u0000',
    '\r\n',
    '\uFFFE',
    '\uD800',
    '../../etc/passwd',
    '%00',
    'arn:aws:lambda:us-east-1:000000000000:function:nope',
    '*',
    'a'.repeat(2000),
  ),
);

export interface XmlElement {
  name: string;
  children: (XmlElement | string)[];
  raw: boolean;
}

/** XML element trees whose names come mostly from `vocabulary`, with nasty text in the leaves. */
export function xmlTree(vocabulary: readonly string[], maxDepth = 4): fc.Arbitrary<XmlElement> {
  const name = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...vocabulary) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][\w.-]{0,12}$/) });
  const { element } = fc.letrec<{ element: XmlElement; child: XmlElement | string }>((tie) => ({
    element: fc.record({
      name,
      children: fc.array(tie('child'), { maxLength: 5 }),
      // A few elements carry their text unescaped, to produce broken markup from inside a plausible tree.
      raw: fc.nat({ max: 9 }).map((n) => n === 0),
    }),
    child: fc.oneof({ depthSize: 'small', maxDepth, withCrossShrink: true }, nastyText, tie('element')),
  }));
  return element;
}

export function renderXml(element: XmlElement, namespace?: string): string {
  const inner = element.children.map((child) => (typeof child === 'string' ? (element.raw ? child : escapeText(child)) : renderXml(child))).join('');
  const attribute = namespace ? ` xmlns="${namespace}"` : '';
  return `<${element.name}${attribute}>${inner}</${element.name}>`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A document whose root is one of `roots`, with a children tree from the vocabulary. */
export function xmlDocument(roots: readonly string[], vocabulary: readonly string[], namespace = 'http://s3.amazonaws.com/doc/2006-03-01/'): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...roots), fc.array(xmlTree(vocabulary), { maxLength: 6 }), fc.boolean(), fc.boolean())
    .map(([root, children, declaration, withNamespace]) =>
      `${declaration ? '<?xml version="1.0" encoding="UTF-8"?>' : ''}${renderXml({ name: root, children, raw: false }, withNamespace ? namespace : undefined)}`,
    );
}

export interface Edit {
  at: number;
  remove: number;
  insert: string;
}

/** Random cuts, insertions and truncations applied to a valid document. */
export const edits: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({ at: fc.nat(), remove: fc.nat({ max: 12 }), insert: fc.oneof(fc.constant(''), nastyText, fc.constantFrom('<', '>', '</', '/>', '&', '"', '{', '}', '[', ']', ',', ':')) }),
  { minLength: 1, maxLength: 4 },
);

export function applyEdits(text: string, changes: Edit[]): string {
  let result = text;
  for (const change of changes) {
    const at = result.length === 0 ? 0 : change.at % (result.length + 1);
    result = result.slice(0, at) + change.insert + result.slice(at + change.remove);
  }
  return result;
}

/** Any JSON value, with nasty strings and numbers at the edges. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    nastyText,
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 53, -(2 ** 63), 1e308, 0.5),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** JSON objects whose member names come mostly from `vocabulary` (nested objects use it too). */
export function jsonObject(vocabulary: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...vocabulary) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
  const { object } = fc.letrec<{ object: Record<string, unknown>; member: unknown }>((tie) => ({
    object: fc.dictionary(key, tie('member'), { maxKeys: 6 }),
    member: fc.oneof({ depthSize: 'small', maxDepth: 3 }, jsonValue, tie('object'), fc.array(tie('object'), { maxLength: 3 })),
  }));
  return object;
}

/** A body: the structured document, a mutation of it, or noise. */
export function bodyFrom(document: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: document },
    { weight: 3, arbitrary: fc.tuple(document, edits).map(([text, changes]) => applyEdits(text, changes)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  );
}
