/**
 * XML text/attribute escaping for S3 responses.
 *
 * API: xmlEscape(s) → s safe inside element text or a double-quoted attribute.
 *
 * Why more than the five entities: S3 keys may hold CR, LF, TAB and other control characters.
 * XML parsers normalise a literal CR/LF pair to LF and drop nothing else, so CR and LF are written
 * as numeric references to survive a round trip (the AWS SDK's XML builder does the same); C0
 * controls that XML 1.0 cannot carry at all are written as `&#xN;`, which lenient parsers (the
 * SDKs) accept. The common case (no special character) returns the input without allocating.
 */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[&<>"'\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex
const ESCAPE_ALL = /[&<>"'\u0000-\u001f]/g;

function replaceOne(ch: string): string {
  switch (ch) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '"':
      return '&quot;';
    case "'":
      return '&apos;';
    case '\t':
      return '\t';
    default:
      return `&#x${ch.charCodeAt(0).toString(16).toUpperCase()};`;
  }
}

export function xmlEscape(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, replaceOne);
}
