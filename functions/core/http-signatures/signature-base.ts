// The signature base (RFC 9421 §2.5): one line per covered component, `"<id>": <value>`, then
// the `@signature-params` line, joined by LF with no trailing newline. Supported components:
// the derived @method, @target-uri, @authority, @scheme, @request-target, @path, @query and
// (responses) @status of §2.2, and header fields by lower-case name (§2.1). Component
// parameters (`;sf`, `;key`, `;bs`, `;req`, `;tr`, `;name`) and @query-param are not supported:
// the platform's profile needs none of them.
import { serializeString } from 'structured-headers';

/** Field values by lower-case field name; several field lines of one name as an array. */
export type HttpFields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parts of an HTTP message a signature can cover. */
export interface HttpMessage {
  /** Request method, e.g. `POST`. */
  method?: string;
  /** Absolute target URI of a request, e.g. `https://example.com/foo?param=Value`. */
  targetUri?: string;
  /** Status code of a response. */
  status?: number;
  /** Header fields by lower-case name. */
  headers: HttpFields;
}

/** A covered component the message cannot supply, or one this profile does not support. */
export class UnsupportedComponent extends Error {
  readonly code = 'UNSUPPORTED_COMPONENT';
  readonly component: string;
  constructor(component: string, detail: string) {
    super(`covered component ${JSON.stringify(component)} ${detail}`);
    this.name = 'UnsupportedComponent';
    this.component = component;
  }
}

function requestUrl(message: HttpMessage, component: string): URL {
  if (message.targetUri === undefined) {
    throw new UnsupportedComponent(component, 'needs a request target URI');
  }
  try {
    return new URL(message.targetUri);
  } catch {
    throw new UnsupportedComponent(component, `needs an absolute target URI, found ${message.targetUri}`);
  }
}

function derivedValue(message: HttpMessage, component: string): string {
  switch (component) {
    case '@method':
      if (message.method === undefined) throw new UnsupportedComponent(component, 'needs a request method');
      return message.method;
    case '@target-uri':
      requestUrl(message, component);
      return message.targetUri!;
    case '@authority':
      // WHATWG host: lower-case, default port dropped (HTTP §4.2.3 normalisation).
      return requestUrl(message, component).host;
    case '@scheme':
      return requestUrl(message, component).protocol.slice(0, -1);
    case '@request-target': {
      const url = requestUrl(message, component);
      return `${url.pathname || '/'}${url.search}`;
    }
    case '@path':
      return requestUrl(message, component).pathname || '/';
    case '@query':
      // An absent or empty query is the lone `?` (§2.2.7).
      return requestUrl(message, component).search || '?';
    case '@status':
      if (message.status === undefined) throw new UnsupportedComponent(component, 'needs a response status');
      return String(message.status).padStart(3, '0');
    default:
      throw new UnsupportedComponent(component, 'is not a derived component this platform supports');
  }
}

/**
 * A header field's component value (§2.1): each line trimmed, obs-fold made a space, lines joined
 * by `, `. Undefined when the message has no such field.
 */
export function fieldValue(headers: HttpFields, name: string): string | undefined {
  // The name is the sender's choice (a covered component): only an own member is a field, or
  // `constructor` and `__proto__` would find what every plain object inherits.
  if (!Object.hasOwn(headers, name)) return undefined;
  const raw = headers[name];
  const lines: readonly unknown[] = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  if (lines.length === 0 || !lines.every((line): line is string => typeof line === 'string'))
    return undefined;
  return lines.map((line) => line.replace(/\r\n[ \t]+/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '')).join(', ');
}

/** The value a covered component identifier names in the message (RFC 9421 §2.1, §2.2). */
export function componentValue(message: HttpMessage, component: string): string {
  if (component === '@signature-params') {
    throw new UnsupportedComponent(component, 'cannot be covered; it is the last line of every base');
  }
  if (component.startsWith('@')) return derivedValue(message, component);
  if (component !== component.toLowerCase()) {
    throw new UnsupportedComponent(component, 'must be a lower-case field name');
  }
  const value = fieldValue(message.headers, component);
  if (value === undefined) throw new UnsupportedComponent(component, 'is not a field of the message');
  return value;
}

/**
 * Builds the signature base for the covered components and the serialised signature
 * parameters (`signatureParams`, the inner list as in Signature-Input). Throws
 * {@link UnsupportedComponent} for a duplicate, unknown or absent component.
 */
export function signatureBase(
  message: HttpMessage,
  components: readonly string[],
  signatureParams: string,
): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const component of components) {
    if (seen.has(component)) throw new UnsupportedComponent(component, 'is covered twice');
    seen.add(component);
    const value = componentValue(message, component);
    // A line break inside a value would forge further lines of the base.
    if (/[\r\n]/.test(value)) throw new UnsupportedComponent(component, 'has a line break in its value');
    lines.push(`${serializeString(component)}: ${value}`);
  }
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}
