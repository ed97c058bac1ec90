import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { HttpProblem } from './problem.ts';

/**
 * The JSON body of a request, validated against its schema. Anything else is a problem that
 * changes nothing: 415 for another media type, 400 for malformed JSON or a schema violation
 * (unknown fields included: request schemas are strict), each naming what was wrong.
 */
export function parseJsonBody<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  requireJsonUtf8(header(event, 'content-type'));
  const text = event.body === null ? '' : utf8Text(event.body, event.isBase64Encoded);
  let json: unknown;
  try {
    json = JSON.parse(text, refuseLoneSurrogates);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    // JSON.parse recurses: arrays or objects nested some thousands deep overflow its stack, and
    // the engine's message would name neither the body nor what to change.
    if (error instanceof RangeError) {
      throw new HttpProblem('bad-request', 'the body nests arrays or objects too deeply to be read', {
        code: 'BODY_TOO_DEEP',
      });
    }
    throw new HttpProblem('bad-request', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const repeated = repeatedMemberName(text);
  if (repeated !== undefined) {
    const shown = repeated.length > 64 ? `${repeated.slice(0, 64)}…` : repeated;
    throw new HttpProblem(
      'bad-request',
      `the body is not I-JSON (RFC 7493 §2.3): the member name ${JSON.stringify(shown)} appears twice in one object; send each name once`,
      { code: 'DUPLICATE_MEMBER_NAME' },
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) throw schemaViolation(result.error, '(body)');
  return result.data;
}

const NOT_UTF8 =
  'the body is not UTF-8 text: it holds bytes UTF-8 does not allow, or U+FFFD (the replacement character such bytes are read as); send the JSON in UTF-8, a U+FFFD meant as text escaped as \\ufffd';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text, refused when it is not UTF-8 — never decoded leniently, which would turn each
 * stray byte into U+FFFD and store text the sender did not send. API Gateway hands a JSON body
 * over as a string, already decoded: a bare U+FFFD in it is where bytes were replaced, and is
 * refused too (nobody types one; one meant as text arrives escaped, which JSON.parse reads).
 */
function utf8Text(body: string, isBase64Encoded: boolean): string {
  let text: string;
  try {
    text = isBase64Encoded ? strictUtf8.decode(Buffer.from(body, 'base64')) : body;
  } catch {
    throw new HttpProblem('bad-request', NOT_UTF8, { code: 'BODY_NOT_UTF8' });
  }
  if (text.includes('\uFFFD')) throw new HttpProblem('bad-request', NOT_UTF8, { code: 'BODY_NOT_UTF8' });
  return text;
}

// A media type's parameters (RFC 9110 §5.6.6): each `;` then `name=value`, the value a token or
// a quoted string, empty ones (`;;`) allowed. Read here rather than with a parser such as Node's
// MIMEType or the `content-type` package because those keep one value of a repeated parameter
// (MIMEType the first, `content-type` the last) — the ambiguity refused here: every charset given
// must be UTF-8.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAMETER = `[ \\t]*;[ \\t]*(?:(${TOKEN})=(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)"))?`;

/**
 * A JSON body must say application/json, in UTF-8 or no charset: the body is read as UTF-8
 * (RFC 8259 §8.1), so one declared in another charset would be read as text its sender did not
 * mean. Other parameters are ignored.
 */
function requireJsonUtf8(contentType: string | undefined): void {
  const semicolon = contentType?.indexOf(';') ?? -1;
  const essence = (semicolon === -1 ? contentType : contentType?.slice(0, semicolon))?.trim().toLowerCase();
  if (essence !== 'application/json') {
    throw new HttpProblem(
      'unsupported-media-type',
      `expected application/json, found ${essence ?? 'no content type'}`,
    );
  }
  if (semicolon === -1) return;
  const text = contentType!;
  const parameter = new RegExp(PARAMETER, 'y');
  parameter.lastIndex = semicolon;
  for (let at = semicolon; /\S/.test(text.slice(at)); at = parameter.lastIndex) {
    const match = parameter.exec(text);
    if (match === null) {
      throw new HttpProblem(
        'unsupported-media-type',
        `expected application/json with parameters written as ;name=token or ;name="quoted string", found ${text}`,
      );
    }
    const [, name, token, quoted] = match;
    const charset =
      name?.toLowerCase() === 'charset' ? (token ?? quoted!.replace(/\\(.)/g, '$1')) : undefined;
    if (charset !== undefined && !UTF8_LABELS.has(charset.toLowerCase())) {
      throw new HttpProblem(
        'unsupported-media-type',
        `expected UTF-8 JSON (charset=utf-8, or none), found charset ${charset}`,
        { code: 'UNSUPPORTED_CHARSET' },
      );
    }
  }
}

// The WHATWG Encoding Standard's labels of UTF-8 (what browsers and fetch accept for it):
// `utf8` is a common spelling of clients that mean the same bytes.
const UTF8_LABELS: ReadonlySet<string> = new Set([
  'utf-8',
  'utf8',
  'unicode-1-1-utf-8',
  'unicode11utf8',
  'unicode20utf8',
  'x-unicode20utf8',
]);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The first member name found twice in one object of `text`, which JSON.parse has accepted, at
 * any depth; undefined when there is none. JSON.parse keeps the last value of a repeated name and
 * lets no reviver see the others, while other parsers keep the first: a signed body whose names
 * repeat could mean one thing to the platform and another to a component reading the same bytes,
 * which I-JSON (RFC 7493 §2.3) forbids. The parsers that report repeats are whole JSON parsers in
 * JavaScript, several times slower than JSON.parse on bodies of up to 4 MiB (or let a name repeat
 * with an equal value), so the text is scanned once here: O(n), strings skipped with indexOf, each
 * object's names in a Set held while it is open.
 */
function repeatedMemberName(text: string): string | undefined {
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let nameNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (nameNext) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const names = open.at(-1)!;
        if (names.has(name)) return name;
        names.add(name);
        nameNext = false;
      }
      i = end;
    } else if (c === OPEN_BRACE) {
      open.push(new Set());
      nameNext = true;
    } else if (c === OPEN_BRACKET) {
      open.push(null);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      open.pop();
      nameNext = false;
    } else if (c === COMMA) {
      nameNext = open.at(-1) instanceof Set;
    }
  }
  return undefined;
}

/** The index of the quote closing the string opened at `start`: the next one not escaped. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/**
 * JSON may escape half of a surrogate pair (`"\ud800"`), which is no Unicode text: it cannot be
 * stored as canonical JSON (RFC 8785, every audit event), nor printed. Such a body is refused as a
 * whole, before any schema sees it, for every route at once.
 */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) {
    throw new HttpProblem(
      'validation-failed',
      `${key === '' ? '(body)' : key.isWellFormed() ? key : '(a member name)'}: expected Unicode text, found a lone UTF-16 surrogate (half of a pair)`,
    );
  }
  return value;
}

/** The query string parameters of a request, validated against its schema; a 400 naming each wrong one. */
export function parseQuery<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  // No route takes a list in its query, and API Gateway's queryStringParameters keeps only the
  // last of a repeated name while a signature covers every value: a repeat is refused, never
  // read as one of its values (?state=submitted&state=approved answered the approved queue).
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if ((values?.length ?? 0) > 1) {
      throw new HttpProblem(
        'bad-request',
        `query parameter ${JSON.stringify(name.slice(0, 64))} given ${values!.length} times; give it once`,
        { code: 'REPEATED_PARAMETER', parameter: name.slice(0, 64) },
      );
    }
  }
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) throw schemaViolation(result.error, '(query)');
  return result.data;
}

/** A 400 listing each schema issue by path; `root` names an issue with the whole value. */
export function schemaViolation(error: z.ZodError, root: string): HttpProblem {
  const errors = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || root,
    message: issue.message,
  }));
  return new HttpProblem('validation-failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
    errors,
  });
}

/**
 * Fields that name one value. An agency's signature covers every line of a field, joined by `, `
 * (RFC 9421 §2.1), and API Gateway's single-value `headers` keeps only the last line of a name (or
 * the first name, when the client varied its case): a field sent twice would be signed as one
 * value and acted on as another. None of these has a meaning as a list, so more than one line is
 * refused. (Signature, Signature-Input and Content-Digest are Structured Fields dictionaries, whose
 * lines do combine: the signature check reads them joined, as it verifies them.)
 */
const SINGLE_VALUE_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'content-type',
  'idempotency-key',
  'if-match',
]);

/**
 * A request header by name, whatever its case (API Gateway keeps the case the client sent):
 * every line of it joined by `, `, as a signature covers it; a 400 `REPEATED_HEADER` for a field
 * that names one value sent as more than one line.
 */
/**
 * Whether the request asks not to be answered from a stored copy (RFC 9111 §5.2.1.4: a
 * `no-cache` directive in Cache-Control, or the HTTP/1.0 `Pragma: no-cache`).
 */
export function asksNoCache(event: APIGatewayProxyEvent): boolean {
  const directives = (value: string | undefined) =>
    (value ?? '').split(',').map((d) => d.trim().toLowerCase().split('=')[0]);
  return (
    directives(header(event, 'cache-control')).includes('no-cache') ||
    directives(header(event, 'pragma')).includes('no-cache')
  );
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const lines = lowerCaseHeaders(event)[wanted];
  if (lines === undefined || lines.length === 0) return undefined;
  if (lines.length > 1 && SINGLE_VALUE_FIELDS.has(wanted)) {
    throw new HttpProblem(
      'bad-request',
      `${name} sent ${lines.length} times; it names one value, so send it as one header line`,
      { code: 'REPEATED_HEADER', header: wanted },
    );
  }
  return lines.join(', ');
}

/**
 * Header fields by lower-case name, every line kept: from multiValueHeaders, and from headers
 * for names multiValueHeaders lacks (its single-value twin repeats only the last line).
 */
export function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string[]> {
  // Built once per event: authentication, the body's content type, the idempotency key and the
  // handler each ask for a field of the same request.
  let record = headersOfEvent.get(event);
  if (record === undefined) {
    record = collectHeaders(event);
    headersOfEvent.set(event, record);
  }
  return record;
}

const headersOfEvent = new WeakMap<APIGatewayProxyEvent, Record<string, string[]>>();

function collectHeaders(event: APIGatewayProxyEvent): Record<string, string[]> {
  // Keyed by names the caller chose: a Map, so `constructor` or `__proto__` is a field like any
  // other, never a member every object inherits.
  const fields = new Map<string, string[]>();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const key = name.toLowerCase();
    fields.set(key, [...(fields.get(key) ?? []), ...(values ?? [])]);
  }
  const fromMulti = new Set(fields.keys());
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const key = name.toLowerCase();
    if (value === undefined || fromMulti.has(key)) continue;
    fields.set(key, [...(fields.get(key) ?? []), value]);
  }
  // Handed on as a record without a prototype: a name the request lacks reads as undefined.
  const record = Object.create(null) as Record<string, string[]>;
  for (const [name, lines] of fields) record[name] = lines;
  return record;
}

/** The version an update was made against: `If-Match: "3"` (the ETag of the read), or `3`. */
export function ifMatch(event: APIGatewayProxyEvent, required: true): number;
export function ifMatch(event: APIGatewayProxyEvent, required: false): number | undefined;
export function ifMatch(event: APIGatewayProxyEvent, required: boolean): number | undefined {
  const value = header(event, 'if-match')?.trim();
  if (value === undefined || value === '') {
    if (!required) return undefined;
    throw new HttpProblem(
      'bad-request',
      'expected an If-Match header naming the version the change was made against, e.g. If-Match: "3"; found none',
    );
  }
  const match = /^"?([1-9]\d{0,8})"?$/.exec(value);
  if (!match) {
    throw new HttpProblem('bad-request', `expected If-Match to name one version such as "3", found ${value}`);
  }
  return Number(match[1]);
}
