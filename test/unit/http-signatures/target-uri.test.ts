// The canonical target URI both the SDK and the platform compute: the forms a URL takes on
// the way (encoded or decoded path, query as a string or as API Gateway's decoded parameters,
// Host with or without the default port) all arrive at one string.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  canonicalAuthority,
  canonicalPath,
  canonicalQuery,
  canonicalTargetUri,
  canonicalUrl,
} from '#core/http-signatures/index.ts';

describe('canonicalTargetUri', () => {
  test('lower-cases scheme and host, drops the default port, sorts and encodes the query', () => {
    expect(
      canonicalTargetUri({
        scheme: 'HTTPS',
        authority: 'API.Example.gov.cn:443',
        path: '/prod/licenses',
        query: [
          ['type', 'b'],
          ['holder', '张三'],
          ['type', 'a'],
        ],
      }),
    ).toBe('https://api.example.gov.cn/prod/licenses?holder=%E5%BC%A0%E4%B8%89&type=b&type=a');
  });

  test('has no ? without query parameters, and / for an empty path', () => {
    expect(canonicalTargetUri({ scheme: 'http', authority: '127.0.0.1:3000', path: '', query: [] })).toBe(
      'http://127.0.0.1:3000/',
    );
  });

  test('keeps a port that is not the default of the scheme', () => {
    expect(canonicalAuthority('localhost:443', 'http')).toBe('localhost:443');
    expect(canonicalAuthority('localhost:80', 'http')).toBe('localhost');
  });
});

describe('canonicalPath', () => {
  test('encodes what may not stand literally, with upper-case hex, and leaves sub-delims and : @ alone', () => {
    expect(canonicalPath("/a b/证照/x;y=1,z:@!$&'()*+")).toBe("/a%20b/%E8%AF%81%E7%85%A7/x;y=1,z:@!$&'()*+");
  });

  test('treats encoded and decoded forms alike, lower-case escapes included', () => {
    expect(canonicalPath('/a%20b/%e8%af%81')).toBe(canonicalPath('/a b/证'));
  });

  test('a stray % that is no escape is itself encoded', () => {
    expect(canonicalPath('/100%/x')).toBe('/100%25/x');
  });

  // A slash encoded in a segment is data, not a boundary (RFC 3986 §6.2.2.2 decodes only
  // unreserved characters; RFC 9421 §2.2.6 takes the path before decoding): the two paths route
  // differently, so they must not sign alike.
  test('keeps an encoded slash encoded, apart from a slash between segments', () => {
    expect(canonicalPath('/prod/licenses/a%2Fb/revoke')).toBe('/prod/licenses/a%2Fb/revoke');
    expect(canonicalPath('/prod/licenses/a%2fb/revoke')).toBe('/prod/licenses/a%2Fb/revoke');
    expect(canonicalPath('/prod/licenses/a/b/revoke')).toBe('/prod/licenses/a/b/revoke');
    expect(canonicalPath('/x%2F..%2F..%2Fadmin')).toBe('/x%2F..%2F..%2Fadmin');
  });

  test('a backslash, encoded or not, is one encoded form', () => {
    expect(canonicalPath('/a%5Cb')).toBe('/a%5Cb');
    expect(canonicalPath('/a\\b')).toBe('/a%5Cb');
  });

  test('any path: the encoded form gives the decoded form, and canonicalising twice changes nothing', () => {
    fc.assert(
      // Segments without `/`: one inside a segment is kept encoded (above).
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme' }).map((s) => s.replaceAll('/', '')),
          { maxLength: 5 },
        ),
        (segments) => {
          const decoded = `/${segments.join('/')}`;
          const encoded = `/${segments.map(encodeURIComponent).join('/')}`;
          const canonical = canonicalPath(decoded);
          expect(canonicalPath(encoded)).toBe(canonical);
          expect(canonicalPath(canonical)).toBe(canonical);
        },
      ),
    );
  });
});

describe('canonicalQuery', () => {
  test('the order of different names does not matter; the order of one name’s values does', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 })), {
          selector: ([name]) => name,
          maxLength: 5,
        }),
        (groups) => {
          const pairs = groups.flatMap(([name, values]) => values.map((v) => [name, v] as const));
          const reversedGroups = [...groups]
            .reverse()
            .flatMap(([name, values]) => values.map((v) => [name, v] as const));
          expect(canonicalQuery(reversedGroups)).toBe(canonicalQuery(pairs));
        },
      ),
    );
  });

  test('decoded parameters re-encode to the string the SDK sent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), {
          maxLength: 6,
        }),
        (pairs) => {
          const sent = canonicalQuery(pairs);
          // What API Gateway (and the local server) hand the function: the decoded pairs.
          const received = [...new URLSearchParams(sent)];
          expect(canonicalQuery(received)).toBe(sent);
        },
      ),
    );
  });
});

describe('canonicalUrl', () => {
  test('of a URL already canonical is the URL itself', () => {
    const url = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod/licenses?a=x%20y&b=%2B';
    expect(canonicalUrl(new URL(url))).toBe(url);
  });

  test('reads + in a query string as a space, as form decoding does', () => {
    expect(canonicalUrl(new URL('http://h/p?q=a+b'))).toBe('http://h/p?q=a%20b');
  });
});
