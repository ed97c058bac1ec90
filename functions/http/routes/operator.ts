import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import type { RouteAuth, RouteSpec } from '../route-spec.ts';
import {
  AgencyListSchema,
  AgencyReadSchema,
  AgencyRecordSchema,
  DesignateSuccessorRequestSchema,
  IssuedUsageKeySchema,
  LicenseTypeRecordSchema,
  NewApiKeySchema,
  RegisterAgencyRequestSchema,
  RegisteredAgencySchema,
  SharingAgreementListQuerySchema,
  SharingAgreementListSchema,
  SharingAgreementRecordSchema,
  UnblockedIdentityProofingSchema,
  UnblockIdentityProofingRequestSchema,
  UpdateAgencyRequestSchema,
  WithdrawSealKeyRequestSchema,
} from '../schemas/operator.ts';
import { PageQuerySchema } from '../schemas/paging.ts';

// Routes of the operator group (one Lambda function). Its handler is functions/handlers/operator.ts.
// The platform operator registers the catalog: agencies with their request-signing keys and
// seal keys, license types, duty-based sharing agreements. Every change is an audit event.
// Updates are optimistic: a record is read with its version (also its ETag) — a license type at
// the public GET /license-types/{code} — and an update names that version in `If-Match`; a
// record changed meanwhile answers 409. Reads are audited before they answer (catalog-reads.ts).

const OPERATOR: RouteAuth = { kind: 'agency', roles: ['operator'] };

// What the signature check and the body parser answer is declared from the route
// (common-responses.ts); the descriptions here are each route's own reasons.
const REFUSALS = {
  400: {
    description:
      'A record that does not fit the catalog (each problem named), or a record marked demo on a stage without demoData (code DEMO_RECORD_REFUSED)',
  },
} as const;

/** Where a request-signing key is taken: a demo agency's key is refused outside demo stages. */
const KEY_REFUSALS = {
  400: {
    description: `${REFUSALS[400].description}; or a demo agency’s request key, under any key id, on a stage without demoData (code DEMO_KEY_REFUSED: its private key follows from its public key id, so anyone could sign with it)`,
  },
} as const;

const UPDATE_REFUSALS = {
  ...REFUSALS,
  400: { description: `${REFUSALS[400].description}; or no If-Match header naming the version` },
  404: { description: 'No such record' },
  409: { description: 'The record changed since the version in If-Match: read it again' },
} as const;

/** A seal key the stage cannot make: SM2 stages (Sm2SigningNotBuilt). */
const NO_SEAL_KEY = {
  501: {
    description:
      'The stage seals with SM2, which the platform does not sign with yet: no seal key is made (code SM2_SIGNING_NOT_BUILT)',
  },
} as const;

const PAGING = { limit: 'page size, 1–100 (default 100)', cursor: 'the cursor of the previous page' };

export const operatorRoutes: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/agencies',
    group: 'operator',
    operationId: 'registerAgency',
    summary:
      'Registers an agency with its request-signing keys; an issuer gets a new seal key of its own, and, where the stage has a usage plan, every agency its usage key (x-api-key)',
    auth: OPERATOR,
    requestBody: RegisterAgencyRequestSchema,
    responses: {
      201: { description: 'Registered (version 1)', schema: RegisteredAgencySchema },
      ...KEY_REFUSALS,
      409: {
        description:
          'The agency is registered already, or a key id is taken; or (code OPERATOR_RECORD_CHANGED) an operator agency while the caller’s own agency record changed since it was read (its key revoked or its operator role removed meanwhile): nothing written',
      },
      ...NO_SEAL_KEY,
    },
  },
  {
    method: 'GET',
    path: '/agencies',
    group: 'operator',
    operationId: 'listAgencies',
    summary:
      'The registered agencies by USCC; audited (agency.listed, naming the USCCs shown) before it answers',
    auth: OPERATOR,
    querySchema: PageQuerySchema,
    query: PAGING,
    responses: {
      200: { description: 'One page of agencies', schema: AgencyListSchema },
      400: {
        description:
          'A page size out of range, an empty cursor or one this listing did not hand out, or any other query parameter',
      },
    },
  },
  {
    method: 'GET',
    path: '/agencies/{uscc}',
    group: 'operator',
    operationId: 'getAgency',
    summary: 'One agency with its version (also in ETag); audited (agency.read) before it answers',
    auth: OPERATOR,
    responses: {
      200: { description: 'The agency', schema: AgencyReadSchema },
      404: { description: 'No such agency' },
    },
  },
  {
    method: 'PUT',
    path: '/agencies/{uscc}',
    group: 'operator',
    operationId: 'updateAgency',
    summary:
      'Replaces an agency’s name, roles, area and demo mark at the version in If-Match; a new issuer gets a seal key',
    auth: OPERATOR,
    requestBody: UpdateAgencyRequestSchema,
    responses: {
      200: { description: 'Updated', schema: AgencyRecordSchema },
      ...UPDATE_REFUSALS,
      ...NO_SEAL_KEY,
      409: {
        description:
          'The record changed since the version in If-Match: read it again; or (code OPERATOR_RECORD_CHANGED) the operator role is being removed or granted while the caller’s own agency record changed since it was read — another operator revoking the caller at the same moment: nothing written',
      },
    },
  },
  {
    method: 'PUT',
    path: '/agencies/{uscc}/successor',
    group: 'operator',
    operationId: 'designateSuccessor',
    summary:
      'Designates (or changes) the successor (承继机关) of a dissolved or merged agency (机构撤并) at the version in If-Match: from then on the successor suspends, reinstates (when registered for the type) and revokes the licenses the agency issued, through the issuer routes, and may not re-issue them. Chains resolve to their last agency (A → B → C: C acts for A and B); audited as agency.successor_designated with the successor before and after',
    auth: OPERATOR,
    requestBody: DesignateSuccessorRequestSchema,
    responses: {
      200: { description: 'Designated', schema: AgencyRecordSchema },
      ...UPDATE_REFUSALS,
      400: {
        description:
          'A successor that is the agency itself, not registered, without the issuer role, whose own successors lead back to the agency, loop, or already number 64 (each named on `successor`); or no If-Match header naming the version',
      },
      409: {
        description:
          'The record changed since the version in If-Match: read it again; or (code SUCCESSION_CHANGED) an agency of the successor’s chain of successors, as checked for a loop, had its successor designated, changed or removed meanwhile — another designation at the same moment, which together with this one could close a loop: nothing written, read the agencies again',
      },
    },
  },
  {
    method: 'DELETE',
    path: '/agencies/{uscc}/successor',
    group: 'operator',
    operationId: 'removeSuccessor',
    summary:
      'Removes an agency’s successor at the version in If-Match: its licenses are again its own alone; audited as agency.successor_removed with the successor before',
    auth: OPERATOR,
    responses: {
      200: { description: 'Removed', schema: AgencyRecordSchema },
      400: { description: 'No If-Match header naming the version' },
      404: { description: 'No such agency, or it has no successor (code NO_SUCCESSOR_DESIGNATED)' },
      409: { description: 'The record changed since the version in If-Match: read it again' },
    },
  },
  {
    method: 'POST',
    path: '/agencies/{uscc}/api-keys',
    group: 'operator',
    operationId: 'addApiKey',
    summary:
      'Adds a request-signing public key to an agency, active at once; with 16 keys on record, the oldest revoked one is let go',
    auth: OPERATOR,
    requestBody: NewApiKeySchema,
    responses: {
      201: { description: 'Added', schema: AgencyRecordSchema },
      ...KEY_REFUSALS,
      404: { description: 'No such agency' },
      409: {
        description:
          'The key id is taken (by any agency), or the agency holds 16 active keys; or (code OPERATOR_RECORD_CHANGED) a key of an operator agency while the caller’s own agency record changed since it was read (its key revoked or its operator role removed meanwhile): nothing written',
      },
    },
  },
  {
    method: 'POST',
    path: '/agencies/{uscc}/api-keys/{keyId}/revoke',
    group: 'operator',
    operationId: 'revokeApiKey',
    summary: 'Revokes a request-signing key: requests signed with it fail authentication from now on',
    auth: OPERATOR,
    responses: {
      200: { description: 'Revoked', schema: AgencyRecordSchema },
      404: { description: 'No such agency or key' },
      409: {
        description:
          'Revoked already, or the key this request is signed with; or (code OPERATOR_RECORD_CHANGED) a key of an operator agency while the caller’s own agency record changed since it was read — another operator revoking the caller at the same moment: nothing written',
      },
    },
  },
  {
    method: 'POST',
    path: '/agencies/{uscc}/usage-key',
    group: 'operator',
    operationId: 'issueUsageKey',
    summary:
      'Gives an agency a new usage key (x-api-key) on the stage’s usage plan; the keys it had stop working. The value is shown only in this answer. Audited as agency.usage_key_issued, then agency.usage_keys_withdrawn once the old keys are off',
    auth: OPERATOR,
    responses: {
      201: { description: 'Issued', schema: IssuedUsageKeySchema },
      404: { description: 'No such agency' },
      409: { description: 'The stage meters agencies by no usage plan' },
      503: {
        description:
          'Or (code USAGE_KEYS_STILL_ACTIVE) API Gateway did not take some of the old keys off the plan: they still work, and the members stillActive and withdrawn list the key ids still on the plan and those taken off; the new key was taken off again (listed in stillActive if it could not be), so no new key is issued. Send the request again: it replaces the keys still on the plan',
      },
    },
  },
  {
    method: 'POST',
    path: '/agencies/{uscc}/seal-key/rotate',
    group: 'operator',
    operationId: 'rotateSealKey',
    summary:
      'Gives an issuer a new seal key; the replaced key stays published, so licenses it signed still verify. POST /verify finds the new key within 1 s. Send If-Match to make a retry safe',
    auth: OPERATOR,
    responses: {
      200: { description: 'Rotated', schema: AgencyRecordSchema },
      400: { description: 'An If-Match header that names no version' },
      404: { description: 'No such agency' },
      409: {
        description:
          'The agency has no seal key, or changed since the version in If-Match; or, for an agency holding 64 previous keys none of which is withdrawn (code SEAL_KEY_LIMIT_REACHED, no key made), withdraw the oldest first — at 64, the oldest withdrawn previous key is let go to make room',
      },
      ...NO_SEAL_KEY,
    },
  },
  {
    method: 'POST',
    path: '/agencies/{uscc}/seal-keys/{kid}/withdraw',
    group: 'operator',
    operationId: 'withdrawSealKey',
    summary:
      'Withdraws a compromised seal key: the JWKS leaves it out, nothing it signed verifies any more — POST /verify within 5 s, the flag on licenses handed out within 60 s (its licenses verify again once re-issued), and the key service disables it; the key the agency signs with is replaced by a new one in the same change. Send If-Match to make a retry safe',
    auth: OPERATOR,
    requestBody: WithdrawSealKeyRequestSchema,
    responses: {
      200: { description: 'Withdrawn', schema: AgencyRecordSchema },
      400: {
        description:
          'No reason, or one that names a citizen identity number; or an If-Match header that names no version',
      },
      404: { description: 'No such agency, or the agency never held a seal key of this kid' },
      409: {
        description:
          'The key was withdrawn already (code SEAL_KEY_ALREADY_WITHDRAWN, whatever If-Match names: the key service is told to disable it again, which finishes a withdrawal whose key-service step failed), or the agency changed since the version in If-Match; or, withdrawing the current key of an agency holding 64 previous keys none of which is withdrawn (code SEAL_KEY_LIMIT_REACHED), withdraw the oldest first — at 64, the oldest withdrawn previous key is let go to make room',
      },
      ...NO_SEAL_KEY,
    },
  },
  {
    method: 'POST',
    path: '/license-types',
    group: 'operator',
    operationId: 'registerLicenseType',
    summary:
      'Registers a license type; every issuer it names must be a registered issuing agency, and its data domain one the stage has license tables for',
    auth: OPERATOR,
    requestBody: LicenseTypeSchema,
    responses: {
      201: { description: 'Registered (version 1)', schema: LicenseTypeRecordSchema },
      ...REFUSALS,
      409: { description: 'The type code is registered already' },
    },
  },
  {
    method: 'PUT',
    path: '/license-types/{code}',
    group: 'operator',
    operationId: 'updateLicenseType',
    summary:
      'Replaces a license type at the version in If-Match (the ETag of GET /license-types/{code}); its data domain stays (its licenses are stored by it), and so does its holder mapping (holder: the fields a re-issue takes the holder from, and the code type of the holder index its licenses are listed under); refused while a sharing agreement names a field it would no longer disclose',
    auth: OPERATOR,
    requestBody: LicenseTypeSchema,
    responses: {
      200: { description: 'Updated', schema: LicenseTypeRecordSchema },
      ...UPDATE_REFUSALS,
      409: {
        description:
          'Changed since the version in If-Match, the data domain differs from the registered one (code DATA_DOMAIN_CHANGE_REFUSED) or the holder mapping does (code HOLDER_MAPPING_CHANGE_REFUSED: register a type of another code), or sharing agreements name fields the change stops disclosing; or (code SHARING_AGREEMENTS_CHANGED) a sharing agreement naming the type was written while its agreements were checked against the change — nothing written: send it again to be checked against the agreements as they are now',
      },
    },
  },
  {
    method: 'POST',
    path: '/sharing-agreements',
    group: 'operator',
    operationId: 'registerSharingAgreement',
    summary:
      'Registers a duty-based sharing agreement (依职能用证): its type and relying agency registered, every field disclosable',
    auth: OPERATOR,
    requestBody: SharingAgreementSchema,
    responses: {
      201: { description: 'Registered (version 1)', schema: SharingAgreementRecordSchema },
      ...REFUSALS,
      409: {
        description:
          'The agreement id is registered already; or (code LICENSE_TYPE_CHANGED) its license type changed while the agreement was checked against it — nothing written: send it again to be checked against the type as it is now',
      },
    },
  },
  {
    method: 'GET',
    path: '/sharing-agreements',
    group: 'operator',
    operationId: 'listSharingAgreements',
    summary:
      'The sharing agreements by id, or those of one relying agency or one type; audited (sharing_agreement.listed, naming the filters and the ids shown) before it answers',
    auth: OPERATOR,
    querySchema: SharingAgreementListQuerySchema,
    query: {
      ...PAGING,
      relyingAgency: 'only the agreements of this relying agency (USCC)',
      typeCode: 'only the agreements for this license type (type code)',
    },
    responses: {
      200: { description: 'One page of agreements', schema: SharingAgreementListSchema },
      400: {
        description:
          'A page size out of range, an empty cursor or one this listing did not hand out, a relyingAgency or typeCode that is not a USCC or a type code, or any other query parameter (a misspelt filter is refused, not ignored)',
      },
    },
  },
  {
    method: 'PUT',
    path: '/sharing-agreements/{id}',
    group: 'operator',
    operationId: 'updateSharingAgreement',
    summary: 'Replaces a sharing agreement at the version in If-Match, after the same checks as registration',
    auth: OPERATOR,
    requestBody: SharingAgreementSchema,
    responses: {
      200: { description: 'Updated', schema: SharingAgreementRecordSchema },
      ...UPDATE_REFUSALS,
      409: {
        description: `${UPDATE_REFUSALS[409].description}; or (code LICENSE_TYPE_CHANGED) its license type changed while the agreement was checked against it — nothing written: send it again to be checked against the type as it is now`,
      },
    },
  },
  {
    method: 'POST',
    path: '/identities/unblock-proofing',
    group: 'operator',
    operationId: 'unblockIdentityProofing',
    summary:
      'Forgets the failed proofings claimed against an identity (10 in a day block it for everyone), once its holder has proved who they are another way; audited with the reason, never the code',
    auth: OPERATOR,
    requestBody: UnblockIdentityProofingRequestSchema,
    responses: {
      200: { description: 'Unblocked', schema: UnblockedIdentityProofingSchema },
      ...REFUSALS,
    },
  },
];
