// The agency SDK: a fetch-based client that signs every request the way the platform verifies
// it (RFC 9421 with RFC 9530 Content-Digest). It depends on nothing of the platform but the
// signing half in functions/core/http-signatures, so it can be copied or packaged on its own.
//
// Each request carries
//   Content-Digest   sha-256 of the body, when there is one
//   Signature-Input  agency=("@method" "@target-uri" ["content-digest"] ["content-type"]
//                    ["idempotency-key"] ["if-match"]);  — each field when the request has it
//                    created=<now>;nonce="<128 random bits>";keyid="<key id>";alg="<algorithm>"
//   Signature        agency=:<raw signature>:
// and is sent to exactly the canonical target URI it signs (target-uri.ts), so what the
// platform rebuilds from API Gateway's event is what was signed.
import { createPrivateKey, type JsonWebKey, KeyObject, randomBytes } from 'node:crypto';
import {
  AGENCY_SIGNATURE_LABEL,
  assertKeyFitsAlgorithm,
  COVERED_WHEN_PRESENT,
  canonicalUrl,
  contentDigest,
  type HttpSignatureAlgorithm,
  signMessage,
} from '../functions/core/http-signatures/index.ts';
import { type RequestControl, requestSignal } from './deadline.ts';
import { assertUnderEndpoint, urlUnderEndpoint } from './endpoint-url.ts';

export type { RequestControl } from './deadline.ts';

export interface AgencyCredentials {
  /** The key id registered for the agency's key (`keyid`). */
  keyId: string;
  /** The private key, as a JWK or a node KeyObject. */
  privateKey: JsonWebKey | KeyObject;
  algorithm: HttpSignatureAlgorithm;
}

export interface AgencyClientOptions extends AgencyCredentials {
  /** Base URL of the platform, stage or base path included, e.g. `https://api.example.gov.cn/v1`. */
  endpoint: string | URL;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** The clock `created` is read from; defaults to the system clock. */
  now?: () => Date;
  /**
   * The agency's usage key, sent as `x-api-key` on every request where the stage meters agencies
   * by a usage plan. Outside the signature: API Gateway reads it to throttle, the platform
   * authenticates by the signature alone.
   */
  apiKey?: string;
  /** Aborts every request not done within this many milliseconds (a request may set its own). */
  timeoutMs?: number;
}

export interface AgencyRequestOptions extends RequestControl {
  /** A value sent as JSON (`content-type: application/json`). */
  json?: unknown;
  /** A raw body; give its content-type in `headers`. */
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

export interface AgencyClient {
  readonly endpoint: URL;
  /** The client's fetch, for requests that are not signed (a presigned upload) to go the same way. */
  readonly fetch?: typeof globalThis.fetch;
  /** The client's timeout, which such requests keep to as well. */
  readonly timeoutMs?: number;
  /** Sends a signed request to `path` (which starts with `/` and may carry a query) under the endpoint. */
  request(method: string, path: string, options?: AgencyRequestOptions): Promise<Response>;
}

export interface SignedAgencyRequest {
  /** The canonical target URI: send the request exactly here. */
  url: string;
  method: string;
  /** The request's headers with Content-Digest, Signature-Input and Signature added (lower-case names). */
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

export interface SignAgencyRequestInput {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Signature creation time; now unless told. */
  created?: Date;
  /** Defaults to 128 random bits, base64url. */
  nonce?: string;
}

/** Signs one request for the platform; the low-level half of {@link createAgencyClient}. */
export function signAgencyRequest(
  input: SignAgencyRequestInput,
  credentials: AgencyCredentials,
): SignedAgencyRequest {
  const method = input.method.toUpperCase();
  const url = canonicalUrl(new URL(input.url));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = input.body !== undefined && input.body.length > 0 ? input.body : undefined;

  const components = ['@method', '@target-uri'];
  if (body !== undefined) {
    headers['content-digest'] = contentDigest(body);
    components.push('content-digest');
  }
  // The platform requires these covered whenever they are sent (agency-policy.ts).
  for (const field of COVERED_WHEN_PRESENT) if (headers[field] !== undefined) components.push(field);
  const privateKey = privateKeyOf(credentials.privateKey);
  const signed = signMessage(
    { method, targetUri: url, headers },
    {
      label: AGENCY_SIGNATURE_LABEL,
      components,
      parameters: {
        created: Math.floor((input.created ?? new Date()).getTime() / 1000),
        nonce: input.nonce ?? randomBytes(16).toString('base64url'),
        keyid: credentials.keyId,
        alg: credentials.algorithm,
      },
      algorithm: credentials.algorithm,
      privateKey,
    },
  );
  headers['signature-input'] = signed.signatureInput;
  headers.signature = signed.signature;
  return { url, method, headers, body };
}

/** A client for one agency key against one platform endpoint. */
export function createAgencyClient(options: AgencyClientOptions): AgencyClient {
  const endpoint = new URL(options.endpoint);
  const privateKey = privateKeyOf(options.privateKey);
  assertKeyFitsAlgorithm(privateKey, options.algorithm);
  const credentials: AgencyCredentials = { keyId: options.keyId, privateKey, algorithm: options.algorithm };
  const send = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());

  return {
    endpoint,
    fetch: send,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    async request(method, path, { json, body, headers = {}, signal, timeoutMs = options.timeoutMs } = {}) {
      // Checked before anything is signed: the request, its body and the usage key go to the endpoint only.
      const url = agencyRequestUrl(endpoint, path);
      if (json !== undefined && body !== undefined) throw new TypeError('give json or body, not both');
      const requestHeaders = { ...headers };
      let bytes: Uint8Array | undefined;
      if (json !== undefined) {
        bytes = new TextEncoder().encode(JSON.stringify(json));
        requestHeaders['content-type'] = 'application/json';
      } else if (body !== undefined) {
        bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      }
      const signed = signAgencyRequest(
        {
          method,
          url,
          headers: requestHeaders,
          body: bytes,
          created: now(),
        },
        credentials,
      );
      const abort = requestSignal({ signal, timeoutMs });
      return send(signed.url, {
        method: signed.method,
        ...(abort === undefined ? {} : { signal: abort }),
        headers: options.apiKey ? { ...signed.headers, 'x-api-key': options.apiKey } : signed.headers,
        ...(signed.body !== undefined ? { body: signed.body } : {}),
      });
    },
  };
}

/**
 * Where a client sends (and what it signs for) a request to `path`: the canonical URL under the
 * endpoint. Throws a TypeError for a path that would lead to another host or out of the
 * endpoint's base path.
 */
export function agencyRequestUrl(endpoint: string | URL, path: string): string {
  const url = canonicalUrl(urlUnderEndpoint(endpoint, path));
  // The canonical form decodes each segment (`%2e%2e` becomes `..`), so it is checked again.
  assertUnderEndpoint(endpoint, url, path);
  return url;
}

function privateKeyOf(key: JsonWebKey | KeyObject): KeyObject {
  return key instanceof KeyObject ? key : createPrivateKey({ key, format: 'jwk' });
}
