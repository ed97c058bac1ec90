// The issuer half of the agency SDK: typed methods for issuing licenses, changing their status and
// reviewing holders' applications (审核 → 颁发), on top of the signing client (agency-client.ts).
// Every POST sends an Idempotency-Key — a new random one unless the caller passes its own, which
// it should when it may retry: the platform then answers a retry with the first answer instead
// of issuing twice.
import { createHash, randomUUID } from 'node:crypto';
import { type AgencyClient, type AgencyClientOptions, createAgencyClient } from './agency-client.ts';
import type {
  Application,
  ApplicationList,
  ApplicationRead,
  ApplicationState,
  ApprovedApplication,
  ApproveRequest,
} from './applications.ts';
import { type RequestControl, requestSignal } from './deadline.ts';
import {
  answerOf,
  PlatformProblemError,
  PlatformUnreachableError,
  type Problem,
  UnexpectedAnswerError,
} from './problem.ts';

export type * from './applications.ts';
export {
  PlatformProblemError,
  PlatformUnreachableError,
  type Problem,
  UnexpectedAnswerError,
} from './problem.ts';

export interface LicenseHolder {
  name: string;
  /** 持证主体代码类型: `111` citizen identity number, `001` USCC. */
  codeType: string;
  code: string;
}

export interface LicenseValidity {
  /** YYYY-MM-DD. */
  from: string;
  /** YYYY-MM-DD, or `long-term` (长期). */
  until: string;
}

export interface IssueLicenseRequest {
  /** GB/T 36904 type code. */
  typeCode: string;
  /** 流水号; the platform draws a random one when absent. */
  serial?: string;
  holder: LicenseHolder;
  /** Field name → value, as the type's field schema defines them (GET /license-types/{code}). */
  data: Record<string, unknown>;
  validity?: LicenseValidity;
}

/** One license with its layout document, issued in one request. */
export interface IssueLicenseWithDocumentRequest extends IssueLicenseRequest {
  /**
   * The PDF or OFD the license is printed as, sent base64 inside the request: on AWS at most
   * ≈ 4 MB of document. Larger ones (up to 20 MiB) go through `uploadDocument` after issuing.
   */
  document?: { bytes: Uint8Array; mediaType: 'application/pdf' | 'application/ofd' };
}

export interface StatusListReference {
  uri: string;
  idx: number;
}

export interface IssuedLicense {
  licenseId: string;
  version: string;
  status: 'valid';
  statusList: StatusListReference;
  /** The signed license (SD-JWT VC) with every disclosure. */
  sdJwt: string;
}

export interface ReissuedLicense extends IssuedLicense {
  supersedes: string;
}

export interface ChangedLicenseStatus {
  licenseId: string;
  version: string;
  status: 'valid' | 'suspended' | 'revoked' | 'superseded';
  statusList: StatusListReference;
}

/** An RFC 9457 problem the platform answered with. */
export interface BatchItemResult {
  index: number;
  /** 201, or the problem's status. */
  status: number;
  licenseId?: string;
  version?: string;
  statusList?: StatusListReference;
  problem?: Problem;
}

export interface BatchResult {
  issued: number;
  failed: number;
  items: BatchItemResult[];
}

export interface ReissueRequest {
  reason?: string;
  /** The new version's data; the current data when absent. */
  data?: Record<string, unknown>;
  holder?: LicenseHolder;
  validity?: LicenseValidity;
}

export interface AttachedDocument {
  licenseId: string;
  version: string;
  document: { sha256: string; size: number; mediaType: 'application/pdf' | 'application/ofd' };
}

/** A presigned upload of a layout document for one license (POST /licenses/{id}/document-uploads). */
export interface DocumentUpload {
  licenseId: string;
  /** Names the upload when completing it. */
  upload: string;
  url: string;
  method: 'PUT';
  /** Send exactly these headers with the PUT; the body must be exactly `size` bytes. */
  headers: Record<string, string>;
  expiresAt: string;
  sha256: string;
  size: number;
  mediaType: string;
}

/** The PUT of an upload's bytes did not succeed; nothing is attached. */
export class DocumentUploadFailed extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`the document store answered the upload with ${status}: ${body.slice(0, 300)}`);
    this.name = 'DocumentUploadFailed';
    this.status = status;
  }
}

/** `signal` and `timeoutMs` abort the request; a POST then rejects with PlatformUnreachableError. */
export interface CallOptions extends RequestControl {
  /** Send this Idempotency-Key (reuse it when retrying the same operation); a random UUID otherwise. */
  idempotencyKey?: string;
}

/** A decision on an application: sent as If-Match, `version` makes it one on what was read. */
export interface DecisionOptions extends CallOptions {
  version?: number;
}

export interface IssuerClient {
  readonly agency: AgencyClient;
  issueLicense(request: IssueLicenseWithDocumentRequest, options?: CallOptions): Promise<IssuedLicense>;
  /** Up to 100 items, without documents; resolves with every item's outcome (partial success is not an error). */
  issueBatch(items: IssueLicenseRequest[], options?: CallOptions): Promise<BatchResult>;
  suspend(licenseId: string, reason: string, options?: CallOptions): Promise<ChangedLicenseStatus>;
  reinstate(licenseId: string, reason?: string, options?: CallOptions): Promise<ChangedLicenseStatus>;
  revoke(licenseId: string, reason: string, options?: CallOptions): Promise<ChangedLicenseStatus>;
  reissue(licenseId: string, request?: ReissueRequest, options?: CallOptions): Promise<ReissuedLicense>;
  /** Attaches the layout document: PDF (`application/pdf`) or OFD (`application/ofd`) bytes. */
  attachDocument(
    licenseId: string,
    bytes: Uint8Array,
    mediaType: 'application/pdf' | 'application/ofd',
    options?: CallOptions,
  ): Promise<AttachedDocument>;
  /**
   * Attaches a layout document of any size up to 20 MiB without sending it through the API:
   * declares it, PUTs the bytes to the presigned URL, then completes the upload. For documents
   * over ≈ 4 MB this is the only way on AWS (Lambda takes 6 MB of request, base64 inside).
   */
  uploadDocument(
    licenseId: string,
    bytes: Uint8Array,
    mediaType: 'application/pdf' | 'application/ofd',
    /**
     * `signal` and `timeoutMs` apply to each of the three requests, the PUT of the bytes included;
     * without them the client's `timeoutMs` does, and the PUT goes through the client's `fetch`.
     */
    options?: RequestControl & { fetch?: typeof globalThis.fetch },
  ): Promise<AttachedDocument>;
  /** The first step of uploadDocument: a presigned PUT for the declared document. */
  beginDocumentUpload(
    licenseId: string,
    declared: { sha256: string; size: number; mediaType: 'application/pdf' | 'application/ofd' },
    options?: CallOptions,
  ): Promise<DocumentUpload>;
  /** The last step of uploadDocument: the platform re-hashes what arrived and binds it to the license. */
  completeDocumentUpload(
    licenseId: string,
    completion: { upload: string; sha256: string },
    options?: CallOptions,
  ): Promise<AttachedDocument>;
  /**
   * The queue: applications addressed to this agency in one state (default `submitted`), least
   * recently changed first, without the applicant's data.
   */
  applications(
    query?: {
      state?: ApplicationState;
      limit?: number;
      cursor?: string;
    },
    options?: RequestControl,
  ): Promise<ApplicationList>;
  /** One application with the applicant's data, attachment links and history; the read is audited. */
  application(applicationId: string, options?: RequestControl): Promise<ApplicationRead>;
  /** Asks the applicant for more information or corrections (补正); the note says what. */
  requestInformation(applicationId: string, note: string, options?: CallOptions): Promise<Application>;
  /**
   * Issues the license with the applied data, corrected as given, to the applicant; never twice.
   * With `version` (the application's, as read), refused 409 if it changed since.
   */
  approve(
    applicationId: string,
    request?: ApproveRequest,
    options?: DecisionOptions,
  ): Promise<ApprovedApplication>;
  /**
   * Refuses the application (不予许可) with a reason the applicant reads. With `version` (the
   * application's, as read), refused 409 if it changed since.
   */
  reject(applicationId: string, reason: string, options?: DecisionOptions): Promise<Application>;
}

/** An issuer client over a signing client, or over the options to create one. */
export function createIssuerClient(client: AgencyClient | AgencyClientOptions): IssuerClient {
  const agency = 'request' in client ? client : createAgencyClient(client);
  const post = async <T>(
    path: string,
    body: { json: unknown } | { bytes: Uint8Array; mediaType: string },
    options: DecisionOptions = {},
  ): Promise<T> => {
    const sent = { idempotencyKey: options.idempotencyKey ?? randomUUID() };
    const headers = {
      'idempotency-key': sent.idempotencyKey,
      ...(options.version === undefined ? {} : { 'if-match': `"${options.version}"` }),
    };
    // The errors carry the key, drawn here when the caller gave none, so a retry can be the same operation.
    const control = { signal: options.signal, timeoutMs: options.timeoutMs };
    const response = await agency
      .request(
        'POST',
        path,
        'json' in body
          ? { json: body.json, headers, ...control }
          : { body: body.bytes, headers: { ...headers, 'content-type': body.mediaType }, ...control },
      )
      .catch((error: unknown) => {
        throw new PlatformUnreachableError(error, sent);
      });
    // The answer's body may break off too (a timeout, a dropped connection): that is no answer
    // either, and the key must travel with it.
    return answerOf<T>(response, sent).catch((error: unknown) => {
      if (error instanceof PlatformProblemError || error instanceof UnexpectedAnswerError) throw error;
      throw new PlatformUnreachableError(error, sent);
    });
  };
  const get = async <T>(path: string, control: RequestControl = {}): Promise<T> =>
    answerOf<T>(await agency.request('GET', path, control));
  const license = (id: string, action: string) => `/licenses/${encodeURIComponent(id)}/${action}`;
  const application = (id: string, action = '') =>
    `/applications/${encodeURIComponent(id)}${action === '' ? '' : `/${action}`}`;
  const beginDocumentUpload: IssuerClient['beginDocumentUpload'] = (id, declared, options) =>
    post(license(id, 'document-uploads'), { json: declared }, options);
  const completeDocumentUpload: IssuerClient['completeDocumentUpload'] = (id, completion, options) =>
    post(license(id, 'document-uploads/complete'), { json: completion }, options);
  return {
    agency,
    issueLicense: ({ document, ...request }, options) =>
      post(
        '/licenses',
        {
          json:
            document === undefined
              ? request
              : {
                  ...request,
                  document: {
                    mediaType: document.mediaType,
                    content: Buffer.from(document.bytes).toString('base64'),
                  },
                },
        },
        options,
      ),
    issueBatch: (items, options) => post('/licenses/batch', { json: { items } }, options),
    suspend: (id, reason, options) => post(license(id, 'suspend'), { json: { reason } }, options),
    reinstate: (id, reason, options) =>
      post(license(id, 'reinstate'), { json: reason === undefined ? {} : { reason } }, options),
    revoke: (id, reason, options) => post(license(id, 'revoke'), { json: { reason } }, options),
    reissue: (id, request = {}, options) => post(license(id, 'reissue'), { json: request }, options),
    attachDocument: (id, bytes, mediaType, options) =>
      post(license(id, 'document'), { bytes, mediaType }, options),
    beginDocumentUpload,
    completeDocumentUpload,
    async uploadDocument(id, bytes, mediaType, options = {}) {
      const sha256 = createHash('sha256').update(bytes).digest('base64url');
      // Every call uploads afresh (a URL lasts 15 minutes): a retry after a lost answer binds the
      // same bytes again, which changes nothing but adds an audit event.
      const control = { signal: options.signal, timeoutMs: options.timeoutMs };
      const pending = await beginDocumentUpload(id, { sha256, size: bytes.byteLength, mediaType }, control);
      // The PUT goes the client's way too (its proxy, its deadline) unless the call says otherwise.
      const send = options.fetch ?? agency.fetch ?? globalThis.fetch;
      const abort = requestSignal({ ...control, timeoutMs: options.timeoutMs ?? agency.timeoutMs });
      const put = await send(pending.url, {
        method: 'PUT',
        headers: pending.headers,
        body: bytes,
        ...(abort === undefined ? {} : { signal: abort }),
      });
      if (!put.ok) throw new DocumentUploadFailed(put.status, await put.text());
      return completeDocumentUpload(id, { upload: pending.upload, sha256 }, control);
    },
    applications: (query = {}, control) => get(`/applications${queryString(query)}`, control),
    application: (id, control) => get(application(id), control),
    requestInformation: (id, note, options) =>
      post(application(id, 'request-info'), { json: { note } }, options),
    approve: (id, request = {}, options) => post(application(id, 'approve'), { json: request }, options),
    reject: (id, reason, options) => post(application(id, 'reject'), { json: { reason } }, options),
  };
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
