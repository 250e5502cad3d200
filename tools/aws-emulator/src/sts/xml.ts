import type { AwsServiceError } from '../errors';

/** An XML element's children: text, nested elements, or absent (left out). */
export interface XmlNode {
  readonly [name: string]: string | number | XmlNode | undefined;
}

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function render(node: XmlNode, indent: string): string {
  return Object.entries(node)
    .filter((entry): entry is [string, string | number | XmlNode] => entry[1] !== undefined)
    .map(([name, value]) =>
      typeof value === 'object'
        ? `${indent}<${name}>\n${render(value, `${indent}  `)}${indent}</${name}>\n`
        : `${indent}<${name}>${escapeXml(String(value))}</${name}>\n`,
    )
    .join('');
}

/** `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...` as the query protocol answers. */
export function resultDocument(action: string, result: XmlNode, requestId: string): string {
  const body = render({ [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } }, '  ');
  return `<${action}Response xmlns="${STS_NAMESPACE}">\n${body}</${action}Response>\n`;
}

export function errorDocument(error: AwsServiceError, requestId: string): string {
  const body = render({ Error: { Type: error.fault, Code: error.code, Message: error.message }, RequestId: requestId }, '  ');
  return `<ErrorResponse xmlns="${STS_NAMESPACE}">\n${body}</ErrorResponse>\n`;
}
