// Refusals of the issuer use cases (issue, status changes, re-issue, layout documents), each with
// a stable `code`; functions/http/domain-problems.ts maps them to problem types.

/** One refused part of a license request: where (`data.姓名`, `holder.code`, `validity`, `typeCode`), why. */
export interface LicenseInputError {
  path: string;
  /** Stable, e.g. `missing`, `pattern` (the field codes of validateLicenseData) or `holder-mismatch`. */
  code: string;
  message: string;
}

/** The license request does not satisfy its type: one error per bad field, so one round trip fixes all. */
export class LicenseDataInvalid extends Error {
  readonly code = 'LICENSE_DATA_INVALID';
  readonly errors: readonly LicenseInputError[];
  constructor(errors: readonly LicenseInputError[]) {
    super(
      `the license request does not match its type: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
    this.name = 'LicenseDataInvalid';
    this.errors = errors;
  }
}

/** The agency is not registered as an issuer of the license type (or cannot sign at all). */
export class IssuerNotRegistered extends Error {
  readonly code = 'ISSUER_NOT_REGISTERED';
  readonly agency: string;
  readonly typeCode: string;
  constructor(
    agency: string,
    typeCode: string,
    detail = `is not registered as an issuer of type ${typeCode}`,
  ) {
    super(`agency ${agency} ${detail}`);
    this.name = 'IssuerNotRegistered';
    this.agency = agency;
    this.typeCode = typeCode;
  }
}

/** Only the agency that issued a license may change it. */
export class NotTheIssuer extends Error {
  readonly code = 'NOT_THE_ISSUER';
  readonly agency: string;
  readonly licenseId: string;
  constructor(agency: string, licenseId: string, issuer: string) {
    super(`license ${licenseId} was issued by ${issuer}; agency ${agency} may not change it`);
    this.name = 'NotTheIssuer';
    this.agency = agency;
    this.licenseId = licenseId;
  }
}

/** A revoked or superseded license takes no more changes (a layout document included). */
export class LicenseIsFinal extends Error {
  readonly code = 'LICENSE_IS_FINAL';
  readonly licenseId: string;
  readonly status: string;
  constructor(licenseId: string, status: string) {
    super(`license ${licenseId} is ${status}, a final status; expected valid or suspended`);
    this.name = 'LicenseIsFinal';
    this.licenseId = licenseId;
    this.status = status;
  }
}

/**
 * A successor (承继机关) asked to re-issue a license of the agency it succeeds (409). A new version
 * keeps the identifier and moves its version on, and a GB/T 36904 identifier names the issuing
 * agency by its USCC: a version signed with the successor's seal would carry an identifier naming
 * another agency as its issuer. The successor issues a license of its own instead (its identifier
 * naming it) and revokes the predecessor's.
 */
export class SuccessorCannotReissue extends Error {
  readonly code = 'SUCCESSOR_CANNOT_REISSUE';
  readonly agency: string;
  readonly licenseId: string;
  constructor(agency: string, licenseId: string, issuer: string) {
    super(
      `agency ${agency} succeeds ${issuer} but may not re-issue license ${licenseId}: every version's GB/T 36904 identifier names ${issuer} as its issuer, and a version signed with ${agency}'s seal would not; issue the holder a license of ${agency}'s own and revoke this one`,
    );
    this.name = 'SuccessorCannotReissue';
    this.agency = agency;
    this.licenseId = licenseId;
  }
}

/**
 * The key service no longer signs with the agency's seal key (SigningKeyWithdrawn): most likely the
 * operator withdrew it after this request read the agency record, and the record now names the
 * agency's new key. Nothing was written, so the request may be sent again (409: the catalog
 * changed under it). When the record still names the key (disabled in the key service by other
 * means), the retry meets this again, and the operator must rotate the key.
 */
export class SealKeyUnusable extends Error {
  readonly code = 'SEAL_KEY_UNUSABLE';
  readonly agency: string;
  readonly kid: string;
  constructor(agency: string, kid: string, options?: ErrorOptions) {
    super(
      `seal key ${kid} of agency ${agency} can no longer sign: nothing was written. It was most likely withdrawn while this request was under way: send the request again, and it is signed with the key the agency record now names (if the record still names ${kid}, the operator must rotate it)`,
      options,
    );
    this.name = 'SealKeyUnusable';
    this.agency = agency;
    this.kid = kid;
  }
}

/**
 * An issuance under an Idempotency-Key already used for another request: the license that key
 * issued (its serial follows from the key, or, a serial the issuer chose, it keeps the key's
 * digest: request-digest.ts) carries other data, validity or layout document, so
 * answering with it would silently drop what this request sent (422, as a repeat of the key with
 * another body is while its idempotency record is kept). Nothing was written.
 */
export class IssuanceKeyReused extends Error {
  readonly code = 'ISSUANCE_KEY_REUSED';
  readonly licenseId: string;
  constructor(licenseId: string) {
    super(
      `this Idempotency-Key issued license ${licenseId} for another request (other data, validity or layout document): nothing was written; use a new key for a new license, or re-issue that one to change it`,
    );
    this.name = 'IssuanceKeyReused';
    this.licenseId = licenseId;
  }
}

/**
 * A re-issue or status change under an Idempotency-Key whose request, another one, was already
 * carried out on this license (its version or history entry keeps the key's digest:
 * request-digest.ts): answering as that one was would silently drop what this request sent (422,
 * as a repeat of the key with another body is while its idempotency record is kept). Nothing was
 * written. `licenseId` names what that request made: the new version of a re-issue, the license
 * of a status change.
 */
export class ChangeKeyReused extends Error {
  readonly code = 'CHANGE_KEY_REUSED';
  readonly problemMembers: { licenseId: string };
  constructor(
    licenseId: string,
    made: { reissued: string } | { changed: 'suspended' | 'reinstated' | 'revoked' },
  ) {
    super(
      'reissued' in made
        ? `this Idempotency-Key re-issued license ${made.reissued} as ${licenseId} for another request (other data, holder, validity or reason): nothing was written; use a new key for a new request, or re-issue ${licenseId} to change it`
        : `this Idempotency-Key ${made.changed} license ${licenseId} for another request (another reason): nothing was written; use a new key for a new request`,
    );
    this.name = 'ChangeKeyReused';
    this.problemMembers = { licenseId };
  }
}

/**
 * A license sealed with a key the operator has since withdrawn, asked for where it would be
 * handed out as sound (409): a re-run of its issuance, or the issuer's copy for a request answered
 * again — either would fail verification while marked valid —, or a holder's new presentation of
 * it, which every verifier would reject. Nothing was written; re-issuing the license seals a new
 * version with the agency's current key.
 *
 * To its issuer (`issued`) it names the version and key as problem members, not only in words: an
 * agency whose first answer was lost has no read route to find them otherwise. When that version
 * was superseded meanwhile (`issued.current`), the current one is named instead of "re-issue it".
 * `holderMessage` says it to the holder instead, who knows the license but has no use for the key.
 */
export class LicenseSealWithdrawn extends Error {
  readonly code = 'LICENSE_SEAL_WITHDRAWN';
  readonly licenseId: string;
  readonly kid: string;
  /** RFC 9457 extension members the answer carries beside `code` (domain-problems.ts). */
  readonly problemMembers: Readonly<Record<string, string>>;
  constructor(
    licenseId: string,
    kid: string,
    told: { issued: WithdrawnSealVersion } | { holderMessage: string },
  ) {
    super('holderMessage' in told ? told.holderMessage : issuerMessage(licenseId, kid, told.issued));
    this.name = 'LicenseSealWithdrawn';
    this.licenseId = licenseId;
    this.kid = kid;
    if ('holderMessage' in told) {
      this.problemMembers = { licenseId };
      return;
    }
    const { version, current } = told.issued;
    this.problemMembers = {
      licenseId,
      version,
      kid,
      ...(current === undefined
        ? {}
        : { currentLicenseId: current.licenseId, currentVersion: current.version }),
    };
  }
}

/** The license version refused to its issuer, and the version superseding it now, if any. */
export interface WithdrawnSealVersion {
  /** Its 3-digit version (`001` first). */
  version: string;
  /** The license's current version, when it is no longer this one; `sealWithdrawn` when its key is withdrawn too. */
  current?: { licenseId: string; version: string; status: string; sealWithdrawn: boolean };
}

function issuerMessage(licenseId: string, kid: string, { version, current }: WithdrawnSealVersion): string {
  const refused = `license ${licenseId}, version ${version}, which this request issued (or re-issued) before, is sealed with key ${kid}, since withdrawn, and fails verification: nothing was written`;
  if (current === undefined) {
    return `${refused}; re-issue it (POST /licenses/{id}/reissue) to have it sealed with the agency's current key`;
  }
  const now = `it has since been superseded: its current version is ${current.version}, ${current.licenseId} (${current.status})`;
  return current.sealWithdrawn
    ? `${refused}; ${now}, which is sealed with a withdrawn key too: re-issue that one (POST /licenses/{id}/reissue) to have it sealed with the agency's current key`
    : `${refused}; ${now}, whose seal key is not withdrawn: nothing of this version needs re-issuing`;
}

/**
 * An issue or re-issue answered again (its Idempotency-Key repeated) whose license is no longer
 * valid — suspended, revoked or superseded since: the answer given then said `valid`, and given
 * again with every field it would hand out a license as issued that is not. Refused as a re-run of
 * the same request meeting that license is (issue-license.ts), naming its status; a 409.
 */
export class IssuedLicenseChanged extends Error {
  readonly code = 'ISSUED_LICENSE_CHANGED';
  readonly licenseId: string;
  /** RFC 9457 extension members the answer carries beside `code` (domain-problems.ts). */
  readonly problemMembers: Readonly<Record<string, string>>;
  constructor(licenseId: string, status: string, supersededBy: string | undefined) {
    super(
      `license ${licenseId}, issued under this Idempotency-Key, is ${status} since${supersededBy === undefined ? '' : ` (the next version is ${supersededBy})`}: the answer given while it was valid is not given again`,
    );
    this.name = 'IssuedLicenseChanged';
    this.licenseId = licenseId;
    // `licenseStatus`, not `status`: RFC 9457 keeps `status` for the HTTP status code.
    this.problemMembers = {
      licenseId,
      licenseStatus: status,
      ...(supersededBy === undefined ? {} : { supersededBy }),
    };
  }
}
