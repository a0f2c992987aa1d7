// The XML side of S3's REST protocol: escaping and a few builders for responses, and a parser for
// request bodies that keeps whitespace inside values (keys may start or end with spaces).
// It knows no S3 shapes; the router does. Bodies with a DTD are refused, as S3 refuses them.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for an element's content. Control characters become numeric references, as S3 writes
 * them, so a key holding CR or TAB survives the parser's whitespace normalisation.
 */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\u0000-\u001f\u007f]/g, (c) => ENTITIES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

/** `<name>value</name>`, or nothing when the value is undefined. */
export function tag(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A whole S3 XML document whose root carries S3's namespace. */
export function document(root: string, inner: string): string {
  return `${XML_DECLARATION}<${root} xmlns="${S3_NAMESPACE}">${inner}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  // Decodes numeric references (&#13;) as XML requires; named entities beyond XML's five are tolerated.
  htmlEntities: true,
});

export type XmlNode = Record<string, unknown>;

/** Parses a request body; undefined when it is not well-formed XML or declares a DTD. */
export function parseXml(body: Buffer | string): XmlNode | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (/<!DOCTYPE/i.test(text)) return undefined;
  if (XMLValidator.validate(text) !== true) return undefined;
  try {
    const parsed = parser.parse(text) as unknown;
    return isNode(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A repeated element as an array, whether the parser saw it once, many times, or not at all. */
export function children(node: unknown, name: string): unknown[] {
  if (!isNode(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The node for a child element; an empty element (`<X/>`) becomes an empty node. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const value = node[name];
  if (isNode(value)) return value;
  if (value === '') return {};
  return undefined;
}

/** A leaf element's text; undefined when absent or when it has child elements. */
export function text(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const value = node[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}
