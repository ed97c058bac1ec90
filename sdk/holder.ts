// The holder SDK: a holder app's calls with an OIDC access token (Cognito on AWS, the development
// issuer of `npm start` locally) — my account and its identity proofing (实名核验), my licenses,
// applications (申请), grants (用证授权), presentations (亮证/出示码) and the access history of my
// licenses — and a verifier's resolution of a presentation reference, which needs no credentials.
// Refusals reject with PlatformProblemError.
import type {
  Application,
  ApplicationList,
  ApplicationRead,
  ApplicationResponse,
  ApplyRequest,
} from './applications.ts';
import { type RequestControl, requestSignal } from './deadline.ts';
import { urlUnderEndpoint } from './endpoint-url.ts';
import {
  answerOf,
  PlatformProblemError,
  PlatformUnreachableError,
  type SentWith,
  UnexpectedAnswerError,
} from './problem.ts';
import type { Grant, SealWithdrawn } from './retrieval.ts';

export type * from './applications.ts';
export {
  PlatformProblemError,
  PlatformUnreachableError,
  type Problem,
  UnexpectedAnswerError,
} from './problem.ts';
export type { Grant } from './retrieval.ts';

/** `signal` aborts every request of the client; `timeoutMs` each one not done in time. */
export interface HolderClientOptions extends RequestControl {
  /** The platform's base URL, e.g. `http://127.0.0.1:3000`. */
  endpoint: string;
  /** The access token, or a function that returns a current one (refreshed by the caller). */
  token: string | (() => string | Promise<string>);
  fetch?: typeof globalThis.fetch;
}

export type LicenseStatus = 'valid' | 'suspended' | 'revoked' | 'superseded' | 'expired';

export interface HolderLicenseVersion {
  licenseId: string;
  licenseKey: string;
  licenseVersion: string;
  typeCode: string;
  typeName?: { zh: string; en: string };
  issuerCode: string;
  status: LicenseStatus;
  /**
   * On a valid version whose first valid day (`validity.from`) is after today: every verifier
   * refuses it until then, and presenting it is refused (409 LICENSE_NOT_YET_VALID).
   */
  notYetValid?: true;
  issuedAt: string;
  validity: { from: string; until: string };
  /** The version that replaced this one, when that version is yours too. */
  supersededBy?: string;
  current: boolean;
  /** The license was re-issued to another holder: this version was yours, the license no longer is. */
  former: boolean;
  hasDocument: boolean;
  /**
   * On a valid or suspended version whose seal key the operator withdrew: it fails verification,
   * and presenting it is refused (409 LICENSE_SEAL_WITHDRAWN), until its issuer re-issues it.
   */
  sealWithdrawn?: SealWithdrawn;
}

export interface HolderLicenseDetail {
  license: HolderLicenseVersion;
  fields: Record<string, unknown>;
  /** The whole SD-JWT VC: your own copy. */
  credential: string;
  keyBound: boolean;
  document?: { url: string; expiresAt: string; sha256: string; mediaType: string };
  auditEventId: string;
}

export interface HolderGrantRequest {
  /** One of your licenses (identifier or license key), or your licenses of a type. */
  scope: { licenseId: string } | { typeCode: string };
  relyingAgency: string;
  purpose: string;
  fields: string[];
  expiresAt: string;
  maxUses: number;
}

export interface CreatedGrant {
  grant: Grant;
  /** The authorisation code (授权码): shown this once; hand it to the relying agency. */
  code: string;
}

export interface PresentationRequest {
  licenseId: string;
  fields: string[];
  /** `reference` (default): a 5-minute reference for a QR code; `sd-jwt`: the compact SD-JWT. */
  form?: 'reference' | 'sd-jwt';
  audience?: string;
  nonce?: string;
  maxResolutions?: number;
}

export interface CreatedPresentation {
  form: 'reference' | 'sd-jwt';
  licenseId: string;
  disclosed: string[];
  auditEventId: string;
  reference?: string;
  url?: string;
  expiresAt?: string;
  maxResolutions?: number;
  presentation?: string;
  keyBinding?: { sdHash: string; audience?: string; nonce?: string };
}

export interface ResolvedPresentation {
  presentation: string;
  licenseId: string;
  typeCode: string;
  disclosed: string[];
  audience?: string;
  nonce?: string;
  expiresAt: string;
  /** The license's seal key was withdrawn after the presentation was made: it fails verification. */
  sealWithdrawn?: SealWithdrawn;
}

export interface AccessEntry {
  eventId: string;
  time: string;
  action: string;
  outcome: 'success' | 'denied' | 'failed';
  actor: { kind: string; id: string; name?: string };
  licenseId?: string;
  licenseVersion?: string;
  typeCode?: string;
  basis?: {
    kind: 'grant' | 'duty' | 'other';
    grantId?: string;
    legalBasis?: string;
    purpose?: string;
    serviceItemCode?: string;
    caseNumber?: string;
  };
  disclosed?: string[];
}

export type AssuranceLevel = 'low' | 'substantial' | 'high';

export interface ProofingRequest {
  /** An enabled provider: `development-only` (local stages), `rekognition-compare-faces`. */
  provider: string;
  identity: {
    /** `111` citizen identity number, `001` USCC. */
    codeType: '111' | '001';
    code: string;
    name?: string;
  };
  /** Provider-specific: `{ token }` (development-only), `{ selfie }` base64 (rekognition-compare-faces). */
  evidence: Record<string, unknown>;
}

/** One identity proofing: its outcome, never its evidence. */
export interface Proofing {
  id: string;
  provider: string;
  methods: string[];
  assurance: AssuranceLevel;
  outcome: 'verified' | 'failed';
  reason?: string;
  codeType: string;
  time: string;
}

/** The identity a verified proofing bound the account to. */
export interface IdentityBinding {
  codeType: string;
  /** The holder code, masked: first and last 4 characters. */
  code: string;
  assurance: AssuranceLevel;
  proofingId: string;
  boundAt: string;
}

export interface ProofingOutcome {
  proofing: Proofing;
  /** The account's binding after the proofing; absent while it is unproofed. */
  identity?: IdentityBinding;
}

export interface HolderAccount {
  /** The `sub` of the account's access tokens. */
  account: string;
  /** Absent while the account is unproofed. */
  identity?: IdentityBinding;
  /** The audit event of this read. */
  auditEventId: string;
}

export interface HolderClient {
  /** The account the token names, and its proofed identity if any. */
  me(): Promise<HolderAccount>;
  /** Proves who you are; a verified proofing binds the account (one identity, one account). */
  proof(request: ProofingRequest): Promise<ProofingOutcome>;
  /** Your proofings, newest first. */
  proofings(): Promise<{ items: Proofing[]; auditEventId: string }>;
  licenses(): Promise<{ licenses: HolderLicenseVersion[] }>;
  license(licenseId: string): Promise<HolderLicenseDetail>;
  createGrant(request: HolderGrantRequest): Promise<CreatedGrant>;
  /** Your grants, newest first; the read is audited (holder.grants_listed). */
  grants(page?: {
    limit?: number;
    cursor?: string;
  }): Promise<{ items: Grant[]; cursor?: string; auditEventId: string }>;
  revokeGrant(grantId: string, reason?: string): Promise<Grant>;
  present(request: PresentationRequest): Promise<CreatedPresentation>;
  /** Who used your licenses, newest first; the read is audited (holder.access_history_read). */
  accessHistory(query?: {
    licenseId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: AccessEntry[]; cursor?: string; auditEventId: string }>;
  /**
   * Applies for a license in your proofed identity; the data is checked field by field at once.
   * With `idempotencyKey`, a retry under the same key answers with the application the first
   * request made instead of filing a second one; its errors carry the key.
   */
  apply(request: ApplyRequest, options?: ApplyOptions): Promise<Application>;
  /** Your applications, newest first. */
  applications(page?: { limit?: number; cursor?: string }): Promise<ApplicationList>;
  /** One of your applications with its data, attachment links and every step of its review; the read is audited. */
  application(applicationId: string): Promise<ApplicationRead>;
  /** Answers the agency's request for information; the application is submitted again. */
  respond(applicationId: string, response: ApplicationResponse): Promise<Application>;
  /** Withdraws an application the agency has not decided on. */
  withdraw(applicationId: string, note?: string): Promise<Application>;
}

export interface ApplyOptions {
  /**
   * The Idempotency-Key of this application: 1–255 printable ASCII characters without spaces
   * (a UUID, say), new for each application and the same when retrying it.
   */
  idempotencyKey?: string;
}

/** The platform's syntax of an Idempotency-Key (functions/http/idempotency.ts). */
const IDEMPOTENCY_KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export function createHolderClient(options: HolderClientOptions): HolderClient {
  const fetcher = options.fetch ?? globalThis.fetch;
  const call = async <T>(
    method: 'GET' | 'POST',
    path: string,
    json?: unknown,
    sent: SentWith = {},
  ): Promise<T> => {
    const token = typeof options.token === 'string' ? options.token : await options.token();
    const abort = requestSignal(options);
    const key = sent.idempotencyKey;
    const answer = fetcher(urlUnderEndpoint(options.endpoint, path), {
      method,
      ...(abort === undefined ? {} : { signal: abort }),
      headers: {
        authorization: `Bearer ${token}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    }).then((response) => answerOf<T>(response, sent));
    if (key === undefined) return answer;
    // No answer, or one that broke off: the key must travel with the error, as the issuer's does.
    return answer.catch((error: unknown) => {
      if (error instanceof PlatformProblemError || error instanceof UnexpectedAnswerError) throw error;
      throw new PlatformUnreachableError(error, sent);
    });
  };
  const application = (id: string, action = '') =>
    `/holder/applications/${encodeURIComponent(id)}${action === '' ? '' : `/${action}`}`;
  return {
    me: () => call('GET', '/holder/me'),
    proof: (request) => call('POST', '/holder/proofings', request),
    proofings: () => call('GET', '/holder/proofings'),
    licenses: () => call('GET', '/holder/licenses'),
    license: (licenseId) => call('GET', `/holder/licenses/${encodeURIComponent(licenseId)}`),
    createGrant: (request) => call('POST', '/holder/grants', request),
    grants: (page = {}) => call('GET', `/holder/grants${queryString(page)}`),
    revokeGrant: (grantId, reason) =>
      call(
        'POST',
        `/holder/grants/${encodeURIComponent(grantId)}/revoke`,
        reason === undefined ? {} : { reason },
      ),
    present: (request) => call('POST', '/holder/presentations', request),
    accessHistory: (query = {}) => call('GET', `/holder/access-history${queryString(query)}`),
    apply: async (request, { idempotencyKey } = {}) => {
      // Refused before sending: the platform would answer 400, and fetch refuses some outright.
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_FORMAT.test(idempotencyKey)) {
        throw new TypeError(
          `expected an idempotencyKey of 1–255 printable ASCII characters without spaces, found ${JSON.stringify(idempotencyKey)}`,
        );
      }
      return call(
        'POST',
        '/holder/applications',
        request,
        idempotencyKey === undefined ? {} : { idempotencyKey },
      );
    },
    applications: (page = {}) => call('GET', `/holder/applications${queryString(page)}`),
    application: (id) => call('GET', application(id)),
    respond: (id, response) => call('POST', application(id, 'respond'), response),
    withdraw: (id, note) => call('POST', application(id, 'withdraw'), note === undefined ? {} : { note }),
  };
}

export interface ResolvePresentationOptions extends RequestControl {
  fetch?: typeof globalThis.fetch;
  /**
   * Origins besides the endpoint's whose presentation URLs may be followed, such as a public
   * domain in front of the API (`https://license.example.gov.cn`).
   */
  allowedOrigins?: string[];
}

/**
 * A verifier resolves a presentation reference, or the URL a QR code carries; no credentials.
 * A URL is followed only when it is the platform's (the endpoint's origin or an allowed one) and
 * names a presentation: a code pointing elsewhere would otherwise make the verifier's backend
 * fetch, and return as resolved, fields nobody signed — and reach whatever it can reach.
 */
export async function resolvePresentation(
  endpoint: string,
  reference: string,
  fetcherOrOptions: typeof globalThis.fetch | ResolvePresentationOptions = {},
): Promise<ResolvedPresentation> {
  const options = typeof fetcherOrOptions === 'function' ? { fetch: fetcherOrOptions } : fetcherOrOptions;
  const url = reference.includes('/')
    ? platformUrl(reference, [new URL(endpoint).origin, ...(options.allowedOrigins ?? [])])
    : urlUnderEndpoint(endpoint, `/presentations/${encodeURIComponent(reference)}`);
  const abort = requestSignal(options);
  return answerOf<ResolvedPresentation>(
    await (options.fetch ?? globalThis.fetch)(url, abort === undefined ? {} : { signal: abort }),
  );
}

function platformUrl(reference: string, origins: string[]): URL {
  const url = new URL(reference);
  const allowed = origins.map((origin) => new URL(origin).origin);
  if (!allowed.includes(url.origin)) {
    throw new TypeError(
      `expected a presentation URL of the platform's origin (${allowed.join(', ')}), found origin ${url.origin}`,
    );
  }
  if (!/\/presentations\/[^/]+$/.test(url.pathname)) {
    throw new TypeError(`expected a URL ending in /presentations/<reference>, found ${url.pathname}`);
  }
  return url;
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
