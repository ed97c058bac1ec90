// Where a request with a credential goes: a caller's path under the platform's endpoint, and
// nowhere else. The WHATWG URL parser that fetch uses reads `\` as `/` in http(s) URLs and drops
// tabs and newlines anywhere, so `/\evil.example/x` or `/\t/evil.example/x` parses as another
// host; `..` segments (`%2e%2e` too) climb out of a stage's base path. A check of the path's
// text cannot foresee every such reading, so the URL is checked after it is built. An encoded
// slash (`..%2F`) stays one segment here, as API Gateway routes it, and in the agency client's
// signed canonical form; that form decodes `%2e%2e` to `..`, so the agency client checks its URL
// again after that decoding.

/** A backslash, or a C0 control or DEL: no route path needs one. */
function unsendable(path: string): boolean {
  for (const char of path) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || code <= 0x1f || code === 0x7f) return true;
  }
  return false;
}

/**
 * `path` (a `/`, then the route, maybe a query) under `endpoint`, keeping the endpoint's own path
 * (`new URL('/holder/me', …/prod)` would drop the `/prod` of an API Gateway stage URL). Throws a
 * TypeError for a path that would leave the endpoint.
 */
export function urlUnderEndpoint(endpoint: string | URL, path: string): URL {
  if (!path.startsWith('/') || path.startsWith('//') || unsendable(path)) {
    throw new TypeError(
      `expected a path starting with a single / and without \\ or control characters, found ${JSON.stringify(path)}`,
    );
  }
  const base = new URL(endpoint);
  const url = new URL(`${basePath(base)}${path}`, base);
  assertUnderEndpoint(base, url, path);
  return url;
}

/**
 * Throws a TypeError unless `url` has the endpoint's origin and a path under the endpoint's path:
 * for a URL rewritten after it was built (the agency SDK sends the canonical form it signs).
 */
export function assertUnderEndpoint(endpoint: string | URL, url: string | URL, path = String(url)): void {
  const base = new URL(endpoint);
  const target = new URL(url);
  if (target.origin !== base.origin || !target.pathname.startsWith(`${basePath(base)}/`)) {
    throw new TypeError(
      `expected a path under ${base.origin}${basePath(base)}/, found ${JSON.stringify(path)}, which leads to ${target.origin}${target.pathname}`,
    );
  }
}

function basePath(endpoint: URL): string {
  return endpoint.pathname.replace(/\/+$/, '');
}
