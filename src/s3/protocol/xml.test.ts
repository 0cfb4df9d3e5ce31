/** Proves the XML writer escapes and nests correctly and the parser is bounded and crash-free. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { S3Error } from './errors.js';
import { XmlWriter, child, childText, parseXml, xmlEscape } from './xml.js';

test('writer emits the declaration, namespace and escaped leaves', () => {
  const xml = new XmlWriter('ListBucketResult')
    .leaf('Name', 'b')
    .open('Contents')
    .leaf('Key', '<a&"\'>\r\n')
    .leaf('Size', 5)
    .leaf('Skip', undefined)
    .toString();
  assert.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>' +
      '<Contents><Key>&lt;a&amp;&quot;&apos;&gt;&#xD;&#xA;</Key><Size>5</Size></Contents></ListBucketResult>',
  );
});

test('parser reads elements, attributes, entities, CDATA, comments, namespaces', () => {
  const el = parseXml(
    '\ufeff<?xml version="1.0"?>\n<!-- c --><ns:Delete xmlns:ns="http://s3.amazonaws.com/doc/2006-03-01/"><ns:Object><Key> a&lt;b&#x41;&#66;<![CDATA[<x>]]></Key></ns:Object><Quiet/></ns:Delete>',
  );
  assert.equal(el.name, 'Delete');
  assert.equal(el.attrs['xmlns:ns'], 'http://s3.amazonaws.com/doc/2006-03-01/');
  assert.equal(childText(child(el, 'Object')!, 'Key'), ' a<bAB<x>');
  assert.equal(childText(el, 'Quiet'), '');
});

test('writer output parses back to the same text (round trip)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      // NUL and lone surrogates cannot be carried by XML at all
      // eslint-disable-next-line no-control-regex -- removing NUL is the point
      const clean = s.replace(/[\u0000\ud800-\udfff]/g, '');
      const xml = new XmlWriter('R').leaf('K', clean).toString();
      assert.equal(childText(parseXml(xml), 'K'), clean);
    }),
    { numRuns: 300 },
  );
});

function isMalformed(fn: () => unknown, code = 'MalformedXML'): void {
  assert.throws(fn, (e: unknown) => e instanceof S3Error && e.code === code);
}

test('malformed documents are MalformedXML', () => {
  for (const bad of [
    '',
    '<a>',
    '<a></b>',
    '<a><b></a></b>',
    '<a>&unknown;</a>',
    '<a>&#0;</a>',
    '<a>&#xD800;</a>',
    '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    '<a/><b/>',
    'text<a/>',
    '<a x=1/>',
    '<a x="1"y="2"/>',
    '<a',
    '<a><![CDATA[x</a>',
    '<1a/>',
  ]) {
    isMalformed(() => parseXml(bad), 'MalformedXML');
  }
  isMalformed(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])));
});

test('depth, element and size limits at max and max+1', () => {
  const nest = (n: number): string => '<a>'.repeat(n) + '</a>'.repeat(n);
  assert.equal(parseXml(nest(16)).name, 'a');
  isMalformed(() => parseXml(nest(17)));
  assert.equal(parseXml('<r>' + '<a/>'.repeat(9) + '</r>', { elementsMax: 10 }).children.length, 9);
  isMalformed(() => parseXml('<r>' + '<a/>'.repeat(10) + '</r>', { elementsMax: 10 }));
  assert.equal(parseXml('<abc/>', { bytesMax: 6 }).name, 'abc');
  isMalformed(() => parseXml('<abcd/>', { bytesMax: 6 }), 'MaxMessageLengthExceeded');
  // deep nesting far beyond the limit never overflows the JS stack
  isMalformed(() => parseXml(nest(100_000), { bytesMax: 1e7 }));
});

test('escape fast path returns the same string', () => {
  const s = 'plain/key.txt';
  assert.equal(xmlEscape(s), s);
});

test('fuzz: arbitrary input yields an element or an S3Error, never anything else', () => {
  const pieces = fc.constantFrom(
    '<',
    '>',
    '/',
    '</a>',
    '<a>',
    '<b x="1">',
    '&amp;',
    '&',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<?',
    '?>',
    'x',
    ' ',
    '"',
    '=',
    '<!DOCTYPE',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(pieces, { maxLength: 40 }).map((a) => a.join('')),
        fc.string({ unit: 'binary' }),
        fc.uint8Array(),
      ),
      (input) => {
        try {
          const el = parseXml(input);
          assert.equal(typeof el.name, 'string');
        } catch (e) {
          if (!(e instanceof S3Error)) throw e;
        }
      },
    ),
    { numRuns: 3000 },
  );
});
