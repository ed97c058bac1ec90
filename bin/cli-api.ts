// The `elicense` commands that talk to a platform: `verify` (public); `issue`, `status`,
// `retrieve` and `call` (any agency route), signed with an agency key file; `grant`, and `call`
// of any holder route, with the holder's OIDC access token.
// Exit codes: 0 success (for verify: valid), 1 the platform answered no (a problem, or an
// invalid license), 2 a usage error found before anything is sent (CliUsageError: a bad
// argument, JSON that does not parse, a file that cannot be read, no credential, a header value
// the platform or fetch would refuse), 3 the
// platform could not be reached.

import type { JsonWebKey } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Argument, type Command } from 'commander';
import { matchRoute } from '#http/routes.ts';
import { type AgencyClient, agencyRequestUrl, createAgencyClient } from '../sdk/agency-client.ts';
import { urlUnderEndpoint } from '../sdk/endpoint-url.ts';
import { createIssuerClient, DocumentUploadFailed } from '../sdk/issuer.ts';
import { PlatformProblemError, PlatformUnreachableError, UnexpectedAnswerError } from '../sdk/problem.ts';

export const EXIT_UNREACHABLE = 3;

/** A mistake in the command line or the files it names: runCli prints the one line and exits 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export interface ApiIo {
  out(text: string): void;
  err(text: string): void;
  fetch?: typeof globalThis.fetch;
}

const DEFAULT_ENDPOINT = process.env.ELICENSE_ENDPOINT ?? 'http://127.0.0.1:3000';

/** A key file as `npm start` writes them to `.elicense/agency-keys/<key id>.jwk.json`. */
interface KeyFile {
  algorithm: 'ecdsa-p256-sha256' | 'ed25519';
  jwk: JsonWebKey & { kid?: string };
  /** The agency's usage key, where `bootstrap operator --usage-plan` wrote it. */
  apiKey?: string;
}

export function addApiCommands(program: Command, io: ApiIo, setExitCode: (code: number) => void): void {
  program
    .command('verify')
    .description(
      'verify a license or presentation with the platform (POST /verify); exit 0 if valid, 1 if not, 3 if the platform could not be reached or gave no verdict (busy, timed out, could not check)',
    )
    .argument('<presentation>', 'the SD-JWT VC, or @file to read it from')
    .option('--endpoint <url>', 'platform base URL (env ELICENSE_ENDPOINT)', DEFAULT_ENDPOINT)
    .option('--audience <aud>', 'require a key-bound presentation for this audience (with --nonce)')
    .option('--nonce <nonce>', 'the nonce the key-bound presentation must carry')
    .action(
      async (presentation: string, options: { endpoint: string; audience?: string; nonce?: string }) => {
        // The platform requires both or neither: caught here, a usage error, not "invalid".
        if ((options.audience === undefined) !== (options.nonce === undefined)) {
          throw new CliUsageError(
            '--audience and --nonce go together: a key-bound presentation carries both',
          );
        }
        const body = {
          presentation: (await valueOrFile(presentation, 'the presentation')).trim(),
          ...(options.audience ? { audience: options.audience } : {}),
          ...(options.nonce ? { nonce: options.nonce } : {}),
        };
        const url = underEndpoint(options.endpoint, '/verify');
        const response = await send(io, () =>
          (io.fetch ?? fetch)(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
        );
        const printed = response && (await printAnswer(io, response));
        if (!response || !printed) return setExitCode(EXIT_UNREACHABLE);
        const result = printed.body as { valid?: boolean } | null;
        // No verdict — not "invalid": the platform could not read a key or status entry (503), or
        // the gateway answered for it, busy (429) or timed out (408, 504), or it failed (5xx).
        if (noVerdict(response.status)) return setExitCode(EXIT_UNREACHABLE);
        // A 2xx that is no verification answer (a proxy's or captive portal's page) says nothing
        // of the license either: no verdict, as the SDK reads it.
        if (response.ok && typeof result?.valid !== 'boolean') {
          io.err('elicense: the answer carries no verdict (no "valid"): not the platform’s verify answer\n');
          return setExitCode(EXIT_UNREACHABLE);
        }
        setExitCode(response.ok && result?.valid === true ? 0 : 1);
      },
    );

  program
    .command('call')
    .description(
      'send a request as an agency (signed, RFC 9421, with --key) or as a holder (with --token) and print the answer; exit 0 on 2xx, 1 otherwise',
    )
    .argument('<method>', 'HTTP method, e.g. POST')
    .argument('<path>', 'route path, e.g. /licenses')
    .option('--json <body>', 'JSON body, or @file to read it from')
    .option('--key <file>', `${KEY_HELP}, for an agency route`)
    .option('--token <token>', 'a holder OIDC access token, for a holder route (env ELICENSE_HOLDER_TOKEN)')
    .option('--idempotency-key <key>', IDEMPOTENCY_HELP)
    .option(
      '--if-match <version>',
      'If-Match header: the version an update (PUT, seal-key rotation) was made against, e.g. 3 (sent as "3")',
    )
    .option('--api-key <key>', API_KEY_HELP)
    .option('--endpoint <url>', ENDPOINT_HELP, DEFAULT_ENDPOINT)
    .action(
      async (
        method: string,
        path: string,
        options: Omit<SignedOptions, 'key'> & {
          key?: string;
          token?: string;
          json?: string;
          ifMatch?: string;
        },
      ) => {
        const json =
          options.json === undefined
            ? undefined
            : objectOf(jsonOf(await valueOrFile(options.json, '--json'), '--json'));
        checkRequest(method, path, json, options);
        // The platform's ETags are quoted versions; a bare version is quoted as the operator SDK does.
        const ifMatch: Record<string, string> =
          options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch.replace(/^(\d+)$/, '"$1"') };
        if (options.key) {
          return setExitCode(
            await signedCall(io, { ...options, key: options.key }, method, path, json, ifMatch),
          );
        }
        const token = options.token ?? process.env.ELICENSE_HOLDER_TOKEN;
        if (!token) {
          throw new CliUsageError(
            'call needs --key (an agency request) or --token / ELICENSE_HOLDER_TOKEN (a holder request)',
          );
        }
        setExitCode(
          await holderCall(io, options.endpoint, token, method, path, json, options.idempotencyKey, ifMatch),
        );
      },
    );

  // The named commands of the agency routes: the same signed call with the route filled in.
  // `prepare` may add to the body from the command's own options, or refuse with an exit code.
  type Prepare = (
    body: Record<string, unknown>,
    options: SignedOptions & Record<string, string>,
  ) => Promise<number | undefined>;
  const bodyCommand = (name: string, path: string, description: string, prepare?: Prepare) => {
    const command = program
      .command(name)
      .description(`${description}; exit 0 on success, 1 on a problem`)
      .argument('<body>', 'the JSON request body, or @file to read it from (see /openapi.json)')
      .requiredOption('--key <file>', KEY_HELP);
    // Offered only where the route honours it: elsewhere it would promise a retry it does not give.
    if (honoursIdempotencyKey('POST', path)) command.option('--idempotency-key <key>', IDEMPOTENCY_HELP);
    return command
      .option('--api-key <key>', API_KEY_HELP)
      .option('--endpoint <url>', ENDPOINT_HELP, DEFAULT_ENDPOINT)
      .action(async (body: string, options: SignedOptions & Record<string, string>) => {
        const json = objectOf(jsonOf(await valueOrFile(body, 'the body'), 'the body'));
        const refused = await prepare?.(json, options);
        if (refused !== undefined) return setExitCode(refused);
        setExitCode(await signedCall(io, options, 'POST', path, json));
      });
  };
  bodyCommand('issue', '/licenses', 'issue a license (issuer)', async (request, options) => {
    if (options.document === undefined) return undefined;
    const type = DOCUMENT_TYPES[extname(options.document).toLowerCase()];
    if (type === undefined) {
      io.err('elicense: --document needs a .pdf or .ofd file\n');
      return 2;
    }
    const bytes = await readFile(options.document).catch((error: Error) => error);
    if (bytes instanceof Error) {
      io.err(`elicense: cannot read ${options.document}: ${bytes.message}\n`);
      return 2;
    }
    request.document = { mediaType: type, content: bytes.toString('base64') };
    return undefined;
  }).option(
    '--document <file>',
    'its layout document, a .pdf or .ofd file sent inside the request (on AWS ≈ 4 MB at most; larger ones: `elicense document` after issuing)',
  );

  program
    .command('grant')
    .description(
      'grant a relying agency use of your license (holder, POST /holder/grants); exit 0 on success, 1 on a problem',
    )
    .argument('<body>', 'the JSON request body, or @file to read it from (see /openapi.json)')
    .option('--token <token>', 'your OIDC access token (env ELICENSE_HOLDER_TOKEN)')
    .option('--endpoint <url>', ENDPOINT_HELP, DEFAULT_ENDPOINT)
    .action(async (body: string, options: { token?: string; endpoint: string }) => {
      // Read here, not as the option's default, so that the help never prints the token.
      const token = options.token ?? process.env.ELICENSE_HOLDER_TOKEN;
      if (!token)
        throw new CliUsageError('a holder access token is needed: --token or ELICENSE_HOLDER_TOKEN');
      const json = objectOf(jsonOf(await valueOrFile(body, 'the body'), 'the body'));
      setExitCode(await holderCall(io, options.endpoint, token, 'POST', '/holder/grants', json));
    });
  bodyCommand(
    'retrieve',
    '/retrievals',
    'retrieve a license on a grant code or a duty basis (relying agency)',
  );

  program
    .command('document')
    .description(
      "attach a license's layout document (PDF or OFD, up to 20 MiB) by a presigned upload (issuer); exit 0 on success, 1 on a problem",
    )
    .argument('<license-id>', 'the GB/T 36904 identifier of the version')
    .argument('<file>', 'the .pdf or .ofd file')
    .option('--type <media-type>', 'application/pdf or application/ofd (default: from the file name)')
    .requiredOption('--key <file>', KEY_HELP)
    .option('--api-key <key>', API_KEY_HELP)
    .option('--endpoint <url>', ENDPOINT_HELP, DEFAULT_ENDPOINT)
    .action(async (licenseId: string, file: string, options: SignedOptions & { type?: string }) => {
      const type = options.type ?? DOCUMENT_TYPES[extname(file).toLowerCase()];
      if (type !== 'application/pdf' && type !== 'application/ofd') {
        io.err('elicense: document needs a .pdf or .ofd file, or --type application/pdf|application/ofd\n');
        return setExitCode(2);
      }
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        io.err(`elicense: cannot read ${file}: ${(error as Error).message}\n`);
        return setExitCode(2);
      }
      const issuer = createIssuerClient(await agencyClientOf(io, options));
      try {
        const attached = await issuer.uploadDocument(
          licenseId,
          bytes,
          type,
          io.fetch ? { fetch: io.fetch } : {},
        );
        io.out(`${JSON.stringify(attached, null, 2)}\n`);
        setExitCode(0);
      } catch (error) {
        if (error instanceof PlatformProblemError) {
          io.out(`${JSON.stringify(error.problem, null, 2)}\n`);
          io.err(`elicense: ${error.status}\n`);
          return setExitCode(1);
        }
        if (error instanceof DocumentUploadFailed || error instanceof UnexpectedAnswerError) {
          io.err(`elicense: ${error.message}\n`);
          return setExitCode(1);
        }
        // The SDK's own unreachable error already says so (document has no --idempotency-key: its
        // one keyed step, binding the uploaded bytes, changes nothing when repeated).
        io.err(
          error instanceof PlatformUnreachableError
            ? `elicense: the platform could not be reached: ${(error.cause as Error)?.message ?? error.cause}\n`
            : `elicense: the platform could not be reached: ${(error as Error).message}\n`,
        );
        setExitCode(EXIT_UNREACHABLE);
      }
    });

  program
    .command('status')
    .description("change a license's status (issuer); exit 0 on success, 1 on a problem")
    .argument('<license-id>', 'the GB/T 36904 identifier of the version')
    .addArgument(new Argument('<action>', 'what to do').choices(['suspend', 'reinstate', 'revoke']))
    .option('--reason <text>', 'why (required to suspend or revoke)')
    .requiredOption('--key <file>', KEY_HELP)
    .option('--idempotency-key <key>', IDEMPOTENCY_HELP)
    .option('--api-key <key>', API_KEY_HELP)
    .option('--endpoint <url>', ENDPOINT_HELP, DEFAULT_ENDPOINT)
    .action(async (licenseId: string, action: string, options: SignedOptions & { reason?: string }) => {
      // The platform refuses these without one (400, RevokeLicenseRequest): no request for a sure "no".
      if (REASON_REQUIRED.has(action) && !options.reason?.trim())
        throw new CliUsageError(`--reason is required to ${action} a license (recorded and audited)`);
      const path = `/licenses/${encodeURIComponent(licenseId)}/${action}`;
      setExitCode(
        await signedCall(io, options, 'POST', path, options.reason ? { reason: options.reason } : {}),
      );
    });
}

/** The status changes whose request schema requires a reason (SuspendLicenseRequest, RevokeLicenseRequest). */
const REASON_REQUIRED = new Set(['suspend', 'revoke']);

interface SignedOptions {
  key: string;
  idempotencyKey?: string;
  apiKey?: string;
  endpoint: string;
}

const KEY_HELP = 'agency key file (.elicense/agency-keys/<key id>.jwk.json)';
const IDEMPOTENCY_HELP =
  'Idempotency-Key header (1–255 printable ASCII characters, no spaces) for the POSTs that honour one: the issuer and application-review routes, POST /holder/applications (default for the agency ones: a random UUID, printed if the request does not succeed)';
const ENDPOINT_HELP = 'platform base URL (env ELICENSE_ENDPOINT)';
const API_KEY_HELP =
  "the agency's usage key, sent as x-api-key where the stage has a usage plan (env ELICENSE_API_KEY; else the key file's apiKey)";

/** Sends one request signed with the key file's key, prints the answer, returns the exit code. */
async function signedCall(
  io: ApiIo,
  options: SignedOptions,
  method: string,
  path: string,
  json: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<number> {
  checkIdempotencyKey(options.idempotencyKey);
  const client = await agencyClientOf(io, options);
  const upper = method.toUpperCase();
  // Drawn only for a route that honours it: elsewhere (a retrieval, the operator's routes) the
  // printed key would promise a retry that is in truth a second operation.
  const idempotencyKey =
    upper === 'POST'
      ? (options.idempotencyKey ?? (honoursIdempotencyKey(upper, path) ? randomUUID() : undefined))
      : undefined;
  const headers = {
    ...extraHeaders,
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  };
  const response = await send(io, () =>
    client.request(upper, path, { ...(json === undefined ? {} : { json }), headers }),
  );
  return finish(io, response, { method: upper, path, idempotencyKey });
}

/**
 * Prints the answer and returns the exit code; after a POST that did not succeed, whether
 * running it again is a retry of it (under the same key) or a second operation.
 */
async function finish(
  io: ApiIo,
  answer: Response | undefined,
  sent: { method: string; path: string; idempotencyKey: string | undefined },
): Promise<number> {
  const response = answer && (await printAnswer(io, answer)) ? answer : undefined;
  if (sent.method === 'POST' && !response?.ok)
    io.err(`elicense: ${retryAdvice(sent.path, sent.idempotencyKey)}\n`);
  if (!response) return EXIT_UNREACHABLE;
  return response.ok ? 0 : 1;
}

/**
 * What running a POST that did not succeed again does. A 503 or a lost answer may hide work the
 * platform did; only a route that honours the key answers that work again instead of doing it
 * twice, and a drawn key is printed nowhere else.
 */
function retryAdvice(path: string, idempotencyKey: string | undefined): string {
  const route = `POST ${path.split('?')[0]}`;
  if (honoursIdempotencyKey('POST', path)) {
    return idempotencyKey === undefined
      ? `${route} was sent without an Idempotency-Key: running it again is a second operation, not a retry of this one (give --idempotency-key to make a retry safe)`
      : `the request was sent with Idempotency-Key ${idempotencyKey}; to retry it as the same operation, run it again with --idempotency-key ${shellWord(idempotencyKey)}`;
  }
  const what =
    matchRoute('POST', path.split('?')[0] ?? path).route?.operationId === 'retrieveLicense'
      ? ' (a second retrieval, another use of its grant)'
      : '';
  return `${route} takes no Idempotency-Key: running it again is not a retry of this one but a second operation${what}, and this one may have been carried out`;
}

/**
 * Whether a repeat of the request under the same Idempotency-Key is answered as the first: the
 * routes under the idempotency layer declare the key (RouteSpec.idempotencyKey); a holder's
 * application takes one optionally (functions/handlers/holder/applications.ts).
 */
function honoursIdempotencyKey(method: string, path: string): boolean {
  if (method.toUpperCase() !== 'POST') return false;
  const { route } = matchRoute('POST', path.split('?')[0] ?? path);
  return route !== undefined && (route.idempotencyKey !== undefined || OPTIONAL_KEY.has(route.operationId));
}

const OPTIONAL_KEY: ReadonlySet<string> = new Set(['applyForLicense']);

/** The platform's syntax of an Idempotency-Key (functions/http/idempotency.ts): refused before sending. */
function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new CliUsageError(
      `--idempotency-key must be 1–255 printable ASCII characters without spaces, found ${JSON.stringify(key)}`,
    );
  }
}

/**
 * A credential sent as a header: visible ASCII only. fetch refuses others while sending, which
 * would read as an unreachable platform (exit 3), and a space or tab would change the header.
 */
function checkCredential(value: string, what: string): void {
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new CliUsageError(`${what} must be printable ASCII characters without spaces or line breaks`);
  }
}

/** `value` as one shell word: as it is when that is safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w.:@%+=,/-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** The signing client of the agency whose key file `options.key` names. */
async function agencyClientOf(io: ApiIo, options: SignedOptions): Promise<AgencyClient> {
  const endpoint = endpointOf(options.endpoint);
  const text = await readFile(options.key, 'utf8').catch((error: Error) => {
    throw new CliUsageError(`cannot read the key file ${options.key}: ${error.message}`);
  });
  let keyFile: KeyFile;
  let apiKey: string | undefined;
  try {
    keyFile = JSON.parse(text) as KeyFile;
    // Read here, not as the option's default, so that the help never prints the key.
    apiKey = options.apiKey ?? process.env.ELICENSE_API_KEY ?? keyFile.apiKey;
  } catch (error) {
    throw new CliUsageError(`the key file ${options.key} is not usable: ${(error as Error).message}`);
  }
  if (apiKey) checkCredential(apiKey, 'the usage key (--api-key, ELICENSE_API_KEY or the key file)');
  try {
    return createAgencyClient({
      endpoint,
      keyId: keyFile.jwk.kid ?? '',
      privateKey: keyFile.jwk,
      algorithm: keyFile.algorithm,
      ...(apiKey ? { apiKey } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });
  } catch (error) {
    throw new CliUsageError(`the key file ${options.key} is not usable: ${(error as Error).message}`);
  }
}

const DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.ofd': 'application/ofd',
};

/**
 * A holder request: the access token as a Bearer credential. An Idempotency-Key only when given:
 * of the holder routes only POST /holder/applications honours one, so a drawn key would promise
 * a safe retry the others (a grant, a presentation) do not give.
 */
async function holderCall(
  io: ApiIo,
  endpoint: string,
  token: string,
  method: string,
  path: string,
  json: unknown,
  idempotencyKey?: string,
  extraHeaders: Record<string, string> = {},
): Promise<number> {
  checkCredential(token, 'the access token (--token or ELICENSE_HOLDER_TOKEN)');
  checkIdempotencyKey(idempotencyKey);
  const upper = method.toUpperCase();
  const key = upper === 'POST' ? idempotencyKey : undefined;
  const url = underEndpoint(endpoint, path);
  const response = await send(io, () =>
    (io.fetch ?? fetch)(url, {
      method: upper,
      headers: {
        ...extraHeaders,
        authorization: `Bearer ${token}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    }),
  );
  return finish(io, response, { method: upper, path, idempotencyKey: key });
}

/** `path` under the endpoint, keeping its own path (an API Gateway stage URL ends in `/<stage>`). */
function underEndpoint(endpoint: string, path: string): URL {
  return routeUrl(() => urlUnderEndpoint(endpointOf(endpoint), path));
}

/** The SDK's refusal of a path that would leave the endpoint, as a usage error. */
function routeUrl<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof TypeError) throw new CliUsageError(`expected a route path: ${error.message}`);
    throw error;
  }
}

function endpointOf(endpoint: string): URL {
  try {
    return new URL(endpoint);
  } catch {
    throw new CliUsageError(`--endpoint needs a URL such as http://127.0.0.1:3000, found ${endpoint}`);
  }
}

/**
 * What `call` can send: checked here, since fetch and the signing client refuse the rest only
 * when sending, which would read as an unreachable platform (exit 3). The path must lead under
 * the endpoint: `//host/…`, `/\host/…` or a tab or newline in `//` would send the credential
 * to another host.
 */
function checkRequest(
  method: string,
  path: string,
  json: unknown,
  options: { endpoint: string; key?: string },
): void {
  // RFC 9110 token characters.
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
    throw new CliUsageError(`expected an HTTP method such as GET or POST, found ${method}`);
  }
  // A signed request goes to the canonical URL it signs (agencyRequestUrl), a holder's as built.
  const endpoint = endpointOf(options.endpoint);
  routeUrl(() => (options.key ? agencyRequestUrl(endpoint, path) : urlUnderEndpoint(endpoint, path)));
  const upper = method.toUpperCase();
  if (json !== undefined && (upper === 'GET' || upper === 'HEAD')) {
    throw new CliUsageError(`a ${upper} request has no body: leave out --json`);
  }
}

/** `value`, or the content of the file `@file` names; `what` names it in the error. */
async function valueOrFile(value: string, what: string): Promise<string> {
  if (!value.startsWith('@')) return value;
  return readFile(value.slice(1), 'utf8').catch((error: Error) => {
    throw new CliUsageError(`cannot read ${what} from ${value.slice(1)}: ${error.message}`);
  });
}

function jsonOf(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

async function send(io: ApiIo, request: () => Promise<Response>): Promise<Response | undefined> {
  try {
    return await request();
  } catch (error) {
    io.err(
      `elicense: the platform could not be reached: ${(error as Error).cause ?? (error as Error).message}\n`,
    );
    return undefined;
  }
}

/**
 * Prints the answer; undefined, once that is said, when its body breaks off (the connection
 * dropped): that is no answer either, so no verdict and no exit 1.
 */
async function printAnswer(io: ApiIo, response: Response): Promise<{ body: unknown } | undefined> {
  try {
    return { body: await printBody(io, response) };
  } catch (error) {
    io.err(`elicense: the answer broke off: ${(error as Error).message}\n`);
    return undefined;
  }
}

async function printBody(io: ApiIo, response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
    io.out(`${JSON.stringify(body, null, 2)}\n`);
  } catch {
    io.out(`${text}\n`);
  }
  if (!response.ok) io.err(`elicense: ${response.status} ${response.statusText}\n`);
  return body;
}

const noVerdict = (status: number) => status === 408 || status === 429 || status >= 500;

/** A command's request body: a JSON object, else a usage error before anything is sent. */
function objectOf(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const found = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`;
    throw new CliUsageError(`the body must be a JSON object, found ${found}`);
  }
  return json as Record<string, unknown>;
}
