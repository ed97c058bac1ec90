// Why a retrieval or a grant request is refused, as typed errors with stable codes; the HTTP
// layer maps each class to one problem type (functions/http/domain-problems.ts) and the code
// travels with it, so a client can tell an expired grant from an exhausted one.
import type { EffectiveStatus } from '#core/lifecycle.ts';

/** Every reason a basis does not let the requester have the license; each a 403. */
export const RETRIEVAL_REFUSALS = [
  /** No grant has this authorisation code. */
  'GRANT_NOT_FOUND',
  /** The grant was given to another relying agency. */
  'GRANT_NOT_FOR_AGENCY',
  'GRANT_REVOKED',
  'GRANT_EXPIRED',
  /** Every use the grant allows has been made. */
  'GRANT_EXHAUSTED',
  /** The grant covers another license, type or holder. */
  'GRANT_DOES_NOT_COVER',
  /** The stated purpose is not the one the grant or agreement allows. */
  'PURPOSE_NOT_ALLOWED',
  /** No sharing agreement of the agency names this type and service item. */
  'NO_SHARING_AGREEMENT',
  /** The agreement exists but is not in force today. */
  'AGREEMENT_NOT_IN_FORCE',
  'NOTHING_DISCLOSABLE',
] as const;
export type RetrievalRefusalCode = (typeof RETRIEVAL_REFUSALS)[number];

/** The basis does not allow this retrieval; nothing was read out and nothing was written. */
export class RetrievalRefused extends Error {
  readonly code: RetrievalRefusalCode;
  constructor(code: RetrievalRefusalCode, detail: string) {
    super(detail);
    this.name = 'RetrievalRefused';
    this.code = code;
  }
}

/** A license whose status forbids handing it out (revoked, superseded, suspended, expired); a 409. */
export class LicenseNotRetrievable extends Error {
  readonly code: `LICENSE_${Uppercase<Exclude<EffectiveStatus, 'valid'>>}`;
  readonly licenseId: string;
  readonly status: Exclude<EffectiveStatus, 'valid'>;
  constructor(licenseId: string, status: Exclude<EffectiveStatus, 'valid'>, detail: string) {
    super(`expected license ${licenseId} to be valid to be retrieved, found it ${status}${detail}`);
    this.name = 'LicenseNotRetrievable';
    this.code = `LICENSE_${status.toUpperCase() as Uppercase<typeof status>}`;
    this.licenseId = licenseId;
    this.status = status;
  }
}

/** A retrieval or grant request that names something malformed or inconsistent; a 400. */
export class RetrievalRequestInvalid extends Error {
  readonly code = 'RETRIEVAL_REQUEST_INVALID';
  constructor(detail: string) {
    super(detail);
    this.name = 'RetrievalRequestInvalid';
  }
}

/** Grant terms the catalog refuses: unknown or non-disclosable fields, a relying agency that is not one; a 400. */
export class GrantRequestInvalid extends Error {
  readonly code = 'GRANT_REQUEST_INVALID';
  /** Each problem by path, as a schema violation reports them (`errors` of the problem document). */
  readonly errors: readonly { path: string; message: string }[];
  constructor(errors: readonly { path: string; message: string }[]) {
    super(`invalid grant request: ${errors.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'GrantRequestInvalid';
    this.errors = errors;
  }
}

/** A license type code that is not registered; a 404. */
export class LicenseTypeNotFound extends Error {
  readonly code = 'LICENSE_TYPE_NOT_FOUND';
  readonly typeCode: string;
  constructor(typeCode: string) {
    super(`expected a registered license type ${typeCode}, found none`);
    this.name = 'LicenseTypeNotFound';
    this.typeCode = typeCode;
  }
}

/** The holder has no license of the type; a 404 (asked only once the basis allowed the request). */
export class HolderLicenseNotFound extends Error {
  readonly code = 'HOLDER_LICENSE_NOT_FOUND';
  readonly typeCode: string;
  constructor(typeCode: string) {
    super(`expected the holder to have a license of type ${typeCode}, found none`);
    this.name = 'HolderLicenseNotFound';
    this.typeCode = typeCode;
  }
}
