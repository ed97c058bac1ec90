// The platform's canonical target URI: the `@target-uri` an agency signs and the one the
// platform rebuilds from the API Gateway event, so that both sides arrive at the same string
// whatever each hop did to the URL on the way.
//
//   <scheme>://<authority><path>[?<query>]
//
// - scheme: lower case (`https` on AWS; `http` on the local platform).
// - authority: the Host the client addressed, lower case, without the scheme's default port.
// - path: the path the client addressed, stage or base path included, segment by segment
//   percent-decoded and encoded again so that only unreserved characters, sub-delims, `:` and
//   `@` appear literally and everything else — a `/` inside a segment (`%2F`) included — as
//   upper-case %XX of its UTF-8 bytes; segments joined by `/`. (API Gateway REST APIs pass the
//   path still encoded; decoding first makes both forms agree.) An encoded slash stays one:
//   `a%2Fb` is one segment and `a/b` two, which route differently, and RFC 3986 §6.2.2.2 holds
//   only unreserved characters equivalent to their encoding (RFC 9421 §2.2.6 compares the path
//   before decoding). Empty → `/`.
// - query: API Gateway REST events carry only decoded query parameters, not the query string,
//   so the query is rebuilt from name/value pairs: sorted by name (code units; values of one
//   name keep their order), each `encodeURIComponent(name)=encodeURIComponent(value)`, joined
//   by `&`; no pairs → no `?` at all.
//
// A client that sends its request to exactly this URI (the SDK does) is verified whatever the
// gateway's decoding; the URI differs from what a browser would send only for unusual paths
// and queries, which the platform's own routes never need.

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

// RFC 3986 pchar: unreserved, sub-delims, ':' and '@' — what may stand literally in a segment.
const SEGMENT_LITERAL = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

export interface TargetUriParts {
  scheme: string;
  /** host[:port] as addressed. */
  authority: string;
  /** Absolute path as addressed, encoded or not. */
  path: string;
  /** Decoded query name/value pairs as received. */
  query: Iterable<readonly [string, string]>;
}

/** The canonical `@target-uri` of a request (see the module comment). */
export function canonicalTargetUri({ scheme, authority, path, query }: TargetUriParts): string {
  const canonicalScheme = scheme.toLowerCase();
  const search = canonicalQuery(query);
  return `${canonicalScheme}://${canonicalAuthority(authority, canonicalScheme)}${canonicalPath(path)}${search ? `?${search}` : ''}`;
}

/** The canonical target URI of a URL, e.g. the one the SDK is about to fetch. */
export function canonicalUrl(url: URL): string {
  return canonicalTargetUri({
    scheme: url.protocol.slice(0, -1),
    authority: url.host,
    path: url.pathname,
    query: url.searchParams,
  });
}

/** Lower case, without the scheme's default port. */
export function canonicalAuthority(authority: string, scheme: string): string {
  const lower = authority.toLowerCase();
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];
  return defaultPort !== undefined && lower.endsWith(`:${defaultPort}`)
    ? lower.slice(0, -defaultPort.length - 1)
    : lower;
}

/** Each segment percent-decoded, then encoded again with only pchar left bare; `/` between them. */
export function canonicalPath(path: string): string {
  const out = path.split('/').map(canonicalSegment).join('/');
  return out.startsWith('/') ? out : `/${out}`;
}

function canonicalSegment(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoded UTF-8: canonicalise the characters as they stand, `%` included.
  }
  let out = '';
  for (const char of decoded) {
    if (SEGMENT_LITERAL.test(char)) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

/** Pairs sorted by name, each component-encoded, joined by `&`; empty when there are none. */
export function canonicalQuery(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs]
    .map(([name, value], index) => ({ name, value, index }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index))
    .map(
      ({ name, value }) =>
        `${encodeURIComponent(name.toWellFormed())}=${encodeURIComponent(value.toWellFormed())}`,
    )
    .join('&');
}
