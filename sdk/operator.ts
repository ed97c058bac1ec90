// The operator half of the agency SDK: typed methods for the platform's catalog — agencies with
// their request-signing keys and seal keys, license types, duty-based sharing agreements — on
// top of the signing client (agency-client.ts). Records come back with their version; an update
// sends it as If-Match, so a record someone changed meanwhile is refused (409), not overwritten.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { type AgencyClient, type AgencyClientOptions, createAgencyClient } from './agency-client.ts';
import { answerOf } from './problem.ts';

export { PlatformProblemError, type Problem, UnexpectedAnswerError } from './problem.ts';

export type AgencyRole = 'issuer' | 'relying' | 'operator';
export type RequestSignatureAlgorithm = 'ecdsa-p256-sha256' | 'ed25519';

export type PublicJwk =
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid?: string; alg?: 'ES256'; use?: 'sig' }
  | { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: string; alg?: 'EdDSA' | 'Ed25519'; use?: 'sig' };

/** A request-signing public key to register; active from registration. Key ids are platform-wide. */
export interface NewApiKey {
  keyId: string;
  algorithm: RequestSignatureAlgorithm;
  publicJwk: PublicJwk;
}

export interface ApiKey extends NewApiKey {
  status: 'active' | 'revoked';
  /** RFC 3339 UTC. */
  created: string;
}

/** Where a seal key lives (KMS key ARN, or a local vault name) and the kid licenses it signs carry. */
export interface SealKeyRef {
  keyRef: string;
  kid: string;
  /** Present once the operator withdrew the key: unpublished, and nothing it signed verifies. */
  withdrawn?: { at: string; reason: string; operator: string };
}

export interface Agency {
  /** 统一社会信用代码. */
  uscc: string;
  name: string;
  roles: AgencyRole[];
  apiKeys: ApiKey[];
  /** The key the agency's licenses are signed with from now on (issuers). */
  sealKey?: SealKeyRef;
  /** Keys rotation or withdrawal replaced, newest first: licenses they signed still verify unless withdrawn. */
  previousSealKeys?: SealKeyRef[];
  /** How many withdrawn seal keys were let go from previousSealKeys to make room (at 64). */
  sealKeysLetGo?: number;
  /** 行政区划代码, 6 digits. */
  areaCode: string;
  /** The successor (承继机关) the operator designated when the agency was dissolved or merged. */
  successor?: string;
  demo?: true;
}

export interface AgencyRegistration {
  uscc: string;
  name: string;
  roles: AgencyRole[];
  areaCode: string;
  apiKeys?: NewApiKey[];
  /** Demo record; refused by a stage without `demoData` (400 DEMO_RECORD_REFUSED). */
  demo?: true;
}

export interface AgencyChanges {
  name: string;
  roles: AgencyRole[];
  areaCode: string;
  /** Absent removes the demo mark. */
  demo?: true;
}

export interface FieldSpec {
  name: string;
  label: { zh: string; en: string };
  type: 'string' | 'date' | 'enum' | 'number' | 'boolean' | 'image-ref' | 'period';
  required: boolean;
  sensitive: boolean;
  disclosable: boolean;
  searchable: boolean;
  pattern?: string;
  values?: string[];
  maxLength?: number;
  identifier?: 'citizen-id' | 'uscc';
  notFuture?: boolean;
}

/** A license type (证照类型) with its field schema; see GET /license-types for the registered ones. */
export interface LicenseType {
  /** Defining agency USCC + 3 digits (GB/T 36904). */
  code: string;
  name: { zh: string; en: string };
  definingAgency: { name: string; uscc: string };
  dataDomain: string;
  fields: FieldSpec[];
  holder: { nameField: string; codeField: string; codeType: string };
  validity: { field?: string; termsInYears: number[]; longTermAllowed: boolean; explicitEndAllowed: boolean };
  /** USCCs of the registered issuing agencies that may issue it. */
  issuers: string[];
  demo?: true;
}

/** A duty-based sharing agreement (依职能用证). */
export interface SharingAgreement {
  id: string;
  relyingAgency: string;
  typeCode: string;
  serviceItem: { code: string; name: string };
  purposes: string[];
  /** Disclosable fields of the type the relying agency may receive. */
  fields: string[];
  /** YYYY-MM-DD, both inclusive. */
  validFrom: string;
  validUntil: string;
  demo?: true;
}

export interface AgencyRecord {
  version: number;
  agency: Agency;
}
/** An agency's key on the stage's usage plan: send `value` as x-api-key (AgencyClientOptions.apiKey). */
export interface UsageKey {
  id: string;
  /** Shown in this answer only. */
  value: string;
}
/** A newly registered agency, with its usage key where the stage meters agencies by a usage plan. */
export interface RegisteredAgency extends AgencyRecord {
  usageKey?: UsageKey;
}
export interface IssuedUsageKey {
  agency: string;
  usageKey: UsageKey;
  /** Ids of the keys it replaced, no longer accepted. */
  replaced: string[];
}
export interface LicenseTypeRecord {
  version: number;
  licenseType: LicenseType;
}
export interface SharingAgreementRecord {
  version: number;
  agreement: SharingAgreement;
}

export interface Page<T> {
  items: T[];
  /** Present when more follow: pass it to get the next page. */
  cursor?: string;
}
/** A read of the catalog: the platform audits it before it answers. */
export interface AuditedRead {
  /** The audit event of this read (agency.read, agency.listed, sharing_agreement.listed). */
  auditEventId: string;
}
export interface AgencyRead extends AgencyRecord, AuditedRead {}
export interface AgencyList extends Page<AgencyRecord>, AuditedRead {}
export interface SharingAgreementList extends Page<SharingAgreementRecord>, AuditedRead {}
export interface PageOptions {
  /** 1–100; 100 unless told. */
  limit?: number;
  cursor?: string;
}

/** An RFC 9457 problem the platform answered with; `errors` names each field or catalog problem. */
export interface OperatorClient {
  readonly agency: AgencyClient;
  registerAgency(registration: AgencyRegistration): Promise<RegisteredAgency>;
  /** A page of agencies by USCC; the read is audited (agency.listed). */
  listAgencies(page?: PageOptions): Promise<AgencyList>;
  /** One agency with its version; the read is audited (agency.read). */
  getAgency(uscc: string): Promise<AgencyRead>;
  /** Replaces name, roles, area and demo mark of the agency at `version`. */
  updateAgency(uscc: string, changes: AgencyChanges, version: number): Promise<AgencyRecord>;
  /**
   * Designates (or changes) the successor (承继机关) of a dissolved or merged agency, at `version`:
   * it then suspends, reinstates and revokes the licenses the agency issued.
   */
  designateSuccessor(uscc: string, successor: string, version: number): Promise<AgencyRecord>;
  /** Removes the agency's successor, at `version`. */
  removeSuccessor(uscc: string, version: number): Promise<AgencyRecord>;
  addApiKey(uscc: string, key: NewApiKey): Promise<AgencyRecord>;
  revokeApiKey(uscc: string, keyId: string): Promise<AgencyRecord>;
  /** A new seal key for the agency; with `version`, only if the agency is still at it (safe to retry). */
  rotateSealKey(uscc: string, options?: { version?: number }): Promise<AgencyRecord>;
  /**
   * Withdraws a compromised seal key (by its kid): unpublished, nothing it signed verifies until
   * re-issued, disabled in the key service; the agency's current key is replaced in the same
   * change. With `version`, only if the agency is still at it.
   */
  withdrawSealKey(
    uscc: string,
    kid: string,
    reason: string,
    options?: { version?: number },
  ): Promise<AgencyRecord>;
  /** A new usage key (x-api-key) for the agency; the keys it had stop working. */
  issueUsageKey(uscc: string): Promise<IssuedUsageKey>;
  /**
   * Forgets the failed proofings claimed against an identity (ten in a day block it for everyone),
   * once its holder has proved who they are another way; `reason` says how.
   */
  unblockIdentityProofing(
    identity: { codeType: '111' | '001'; code: string },
    reason: string,
  ): Promise<{ cleared: number }>;
  registerLicenseType(type: LicenseType): Promise<LicenseTypeRecord>;
  /** A license type with its version (the ETag of the public GET), for updateLicenseType. */
  getLicenseType(code: string): Promise<LicenseTypeRecord>;
  updateLicenseType(type: LicenseType, version: number): Promise<LicenseTypeRecord>;
  registerSharingAgreement(agreement: SharingAgreement): Promise<SharingAgreementRecord>;
  /** A page of sharing agreements; the read is audited (sharing_agreement.listed). */
  listSharingAgreements(
    options?: PageOptions & { relyingAgency?: string; typeCode?: string },
  ): Promise<SharingAgreementList>;
  updateSharingAgreement(agreement: SharingAgreement, version: number): Promise<SharingAgreementRecord>;
}

/** The public key to register for a key pair: P-256 signs ecdsa-p256-sha256, Ed25519 signs ed25519. */
export function apiKeyOf(keyId: string, key: KeyObject): NewApiKey {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
    return {
      keyId,
      algorithm: 'ecdsa-p256-sha256',
      publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
    };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
    return { keyId, algorithm: 'ed25519', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } };
  }
  throw new TypeError(`expected a P-256 or Ed25519 key, found ${jwk.kty}/${jwk.crv}`);
}

/** An operator client over a signing client, or over the options to create one. */
export function createOperatorClient(client: AgencyClient | AgencyClientOptions): OperatorClient {
  const agency = 'request' in client ? client : createAgencyClient(client);
  const call = async <T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    json?: unknown,
    version?: number,
  ): Promise<T> => {
    const response = await agency.request(method, path, {
      ...(json === undefined ? {} : { json }),
      ...(version === undefined ? {} : { headers: { 'if-match': `"${version}"` } }),
    });
    return answerOf<T>(response);
  };
  const segment = encodeURIComponent;
  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params))
      if (value !== undefined) search.set(name, String(value));
    const text = search.toString();
    return text === '' ? '' : `?${text}`;
  };
  return {
    agency,
    registerAgency: (registration) => call('POST', '/agencies', registration),
    listAgencies: (page = {}) => call('GET', `/agencies${query({ limit: page.limit, cursor: page.cursor })}`),
    getAgency: (uscc) => call('GET', `/agencies/${segment(uscc)}`),
    updateAgency: (uscc, changes, version) => call('PUT', `/agencies/${segment(uscc)}`, changes, version),
    designateSuccessor: (uscc, successor, version) =>
      call('PUT', `/agencies/${segment(uscc)}/successor`, { successor }, version),
    removeSuccessor: (uscc, version) =>
      call('DELETE', `/agencies/${segment(uscc)}/successor`, undefined, version),
    addApiKey: (uscc, key) => call('POST', `/agencies/${segment(uscc)}/api-keys`, key),
    revokeApiKey: (uscc, keyId) =>
      call('POST', `/agencies/${segment(uscc)}/api-keys/${segment(keyId)}/revoke`),
    rotateSealKey: (uscc, options = {}) =>
      call('POST', `/agencies/${segment(uscc)}/seal-key/rotate`, undefined, options.version),
    withdrawSealKey: (uscc, kid, reason, options = {}) =>
      call(
        'POST',
        `/agencies/${segment(uscc)}/seal-keys/${segment(kid)}/withdraw`,
        { reason },
        options.version,
      ),
    issueUsageKey: (uscc) => call('POST', `/agencies/${segment(uscc)}/usage-key`),
    unblockIdentityProofing: (identity, reason) =>
      call('POST', '/identities/unblock-proofing', { identity, reason }),
    registerLicenseType: (type) => call('POST', '/license-types', type),
    async getLicenseType(code) {
      // Asked fresh: the version an update names in If-Match must be the current one, and the
      // public GET answers from a cache of up to 5 s otherwise (at most 1 s old when asked so).
      const response = await agency.request('GET', `/license-types/${segment(code)}`, {
        headers: { 'cache-control': 'no-cache' },
      });
      const etag = response.headers.get('etag');
      const licenseType = await answerOf<LicenseType>(response);
      const version = /^"([1-9]\d*)"$/.exec(etag ?? '')?.[1];
      if (version === undefined) {
        throw new Error(`expected license type ${code} with an ETag naming its version, found ETag ${etag}`);
      }
      return { version: Number(version), licenseType };
    },
    updateLicenseType: (type, version) => call('PUT', `/license-types/${segment(type.code)}`, type, version),
    registerSharingAgreement: (agreement) => call('POST', '/sharing-agreements', agreement),
    listSharingAgreements: (options = {}) =>
      call(
        'GET',
        `/sharing-agreements${query({
          limit: options.limit,
          cursor: options.cursor,
          relyingAgency: options.relyingAgency,
          typeCode: options.typeCode,
        })}`,
      ),
    updateSharingAgreement: (agreement, version) =>
      call('PUT', `/sharing-agreements/${segment(agreement.id)}`, agreement, version),
  };
}
