// Why the operator's registration of an agency, a key, a license type or a sharing agreement
// is refused — beyond what the record's own schema says (ConfigRecordInvalid) and the
// registry's optimistic lock (ConfigRecordExists, ConfigVersionConflict, ApiKeyIdTaken).

/** One thing wrong with a record measured against the rest of the catalog. */
export interface CatalogProblem {
  /** Dotted path of the offending member, e.g. `fields`, `issuers.2`, `relyingAgency`. */
  path: string;
  /** The offending field name, for problems with a license field. */
  field?: string;
  reason: string;
}

/** A record that names catalog entries which do not exist or do not fit (400). */
export class CatalogCrossCheckFailed extends Error {
  readonly code = 'CATALOG_CROSS_CHECK_FAILED';
  readonly kind: string;
  readonly id: string;
  readonly problems: readonly CatalogProblem[];
  /** The problems as schema violations are reported: `{ path, field?, message }`. */
  readonly errors: readonly { path: string; field?: string; message: string }[];
  constructor(kind: string, id: string, problems: readonly CatalogProblem[]) {
    super(
      `${kind} ${id} does not fit the catalog: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`,
    );
    this.name = 'CatalogCrossCheckFailed';
    this.kind = kind;
    this.id = id;
    this.problems = problems;
    this.errors = problems.map(({ path, field, reason }) => ({
      path,
      ...(field === undefined ? {} : { field }),
      message: reason,
    }));
  }
}

/** A license type change that would leave registered sharing agreements naming fields it no longer discloses. */
export class LicenseTypeChangeBreaksAgreements extends Error {
  readonly code = 'LICENSE_TYPE_CHANGE_BREAKS_AGREEMENTS';
  readonly typeCode: string;
  readonly problems: readonly { agreement: string; reason: string }[];
  constructor(typeCode: string, problems: readonly { agreement: string; reason: string }[]) {
    super(
      `type ${typeCode} would no longer fit its sharing agreements — update them first: ${problems
        .map((p) => `agreement ${p.agreement}: ${p.reason}`)
        .join('; ')}`,
    );
    this.name = 'LicenseTypeChangeBreaksAgreements';
    this.typeCode = typeCode;
    this.problems = problems;
  }
}

/**
 * An update that would move a license type to another data domain (409). A license's table is
 * found through its type's domain, so the licenses already issued would be lost to every read,
 * revocation and re-issue; a type of another domain is registered under a new code instead.
 */
export class DataDomainChangeRefused extends Error {
  readonly code = 'DATA_DOMAIN_CHANGE_REFUSED';
  readonly typeCode: string;
  readonly registered: string;
  readonly requested: string;
  constructor(typeCode: string, registered: string, requested: string) {
    super(
      `type ${typeCode} keeps its data domain ${registered}, found ${requested}: its licenses are stored in the ${registered} tables; register a type of another code for ${requested}`,
    );
    this.name = 'DataDomainChangeRefused';
    this.typeCode = typeCode;
    this.registered = registered;
    this.requested = requested;
  }
}

/**
 * An update of a license type that changes which fields name its holder (409). A re-issue takes
 * the holder from the stored data through the type as it is then, and lists the new version
 * under that holder's index: another code field would move an issued license to another person
 * (a guardian's number, say), another code type to an index no holder was proofed for, another
 * name field would rename the holder. A type with another mapping is registered under a new code.
 */
export class HolderMappingChangeRefused extends Error {
  readonly code = 'HOLDER_MAPPING_CHANGE_REFUSED';
  readonly typeCode: string;
  constructor(typeCode: string, registered: HolderMapping, requested: HolderMapping) {
    super(
      `type ${typeCode} keeps its holder mapping ${described(registered)}, found ${described(requested)}: its licenses are listed under the holder it names, and a re-issue would list them under another; register a type of another code for another mapping`,
    );
    this.name = 'HolderMappingChangeRefused';
    this.typeCode = typeCode;
  }
}

interface HolderMapping {
  nameField: string;
  codeField: string;
  codeType: string;
}

function described({ nameField, codeField, codeType }: HolderMapping): string {
  return `(nameField ${nameField}, codeField ${codeField}, codeType ${codeType})`;
}

/** A record marked `demo` sent to a stage that refuses demo data (any stage without `demoData`). */
export class DemoRecordRefused extends Error {
  readonly code = 'DEMO_RECORD_REFUSED';
  readonly kind: string;
  readonly id: string;
  readonly stage: string;
  constructor(kind: string, id: string, stage: string) {
    super(
      `demo: true is refused in stage ${stage}: ${kind} ${id} would be demo data, whose keys are public; register it without demo`,
    );
    this.name = 'DemoRecordRefused';
    this.kind = kind;
    this.id = id;
    this.stage = stage;
  }
}

/** A demo agency's request key sent to a stage that refuses demo data, under any key id. */
export class DemoKeyRefused extends Error {
  readonly code = 'DEMO_KEY_REFUSED';
  readonly keyId: string;
  readonly stage: string;
  constructor(keyId: string, stage: string) {
    super(
      `key ${keyId} is a demo agency's request key, refused in stage ${stage}: its private key follows from a public key id, so anyone could sign with it; generate a key of your own`,
    );
    this.name = 'DemoKeyRefused';
    this.keyId = keyId;
    this.stage = stage;
  }
}

/** An API key id the agency does not hold. */
export class ApiKeyNotFound extends Error {
  readonly code = 'API_KEY_NOT_FOUND';
  readonly agency: string;
  readonly keyId: string;
  constructor(agency: string, keyId: string) {
    super(`agency ${agency} holds no key ${keyId}`);
    this.name = 'ApiKeyNotFound';
    this.agency = agency;
    this.keyId = keyId;
  }
}

/** A revocation of a key that is revoked already. */
export class ApiKeyAlreadyRevoked extends Error {
  readonly code = 'API_KEY_ALREADY_REVOKED';
  readonly agency: string;
  readonly keyId: string;
  constructor(agency: string, keyId: string) {
    super(`key ${keyId} of agency ${agency} is revoked already`);
    this.name = 'ApiKeyAlreadyRevoked';
    this.agency = agency;
    this.keyId = keyId;
  }
}

/** An agency that holds as many active request-signing keys as it may. */
export class ApiKeyLimitReached extends Error {
  readonly code = 'API_KEY_LIMIT_REACHED';
  readonly agency: string;
  constructor(agency: string, limit: number) {
    super(`agency ${agency} holds ${limit} active keys, the most it may; revoke one to add another`);
    this.name = 'ApiKeyLimitReached';
    this.agency = agency;
  }
}

/** A change by which the operator would lock itself out: revoking its own signing key, dropping its own role. */
export class OperatorSelfLockout extends Error {
  readonly code = 'OPERATOR_SELF_LOCKOUT';
  constructor(what: string) {
    super(
      `refused: ${what} would lock the operator out; make the change signed with another operator key or agency`,
    );
    this.name = 'OperatorSelfLockout';
  }
}

/** A seal-key rotation of an agency that has no seal key to rotate. */
export class SealKeyNotRotatable extends Error {
  readonly code = 'SEAL_KEY_NOT_ROTATABLE';
  readonly agency: string;
  constructor(agency: string, roles: readonly string[]) {
    super(
      `agency ${agency} has no seal key to rotate: it has roles ${roles.join(', ')}; give it the issuer role to create one`,
    );
    this.name = 'SealKeyNotRotatable';
    this.agency = agency;
  }
}

/** A seal key id the agency never held (404). */
export class SealKeyNotFound extends Error {
  readonly code = 'SEAL_KEY_NOT_FOUND';
  readonly agency: string;
  readonly kid: string;
  constructor(agency: string, kid: string) {
    super(`agency ${agency} holds no seal key ${kid}`);
    this.name = 'SealKeyNotFound';
    this.agency = agency;
    this.kid = kid;
  }
}

/** A withdrawal of a seal key withdrawn before (409). */
export class SealKeyAlreadyWithdrawn extends Error {
  readonly code = 'SEAL_KEY_ALREADY_WITHDRAWN';
  readonly agency: string;
  readonly kid: string;
  constructor(agency: string, kid: string, at: string) {
    super(`seal key ${kid} of agency ${agency} was withdrawn already, at ${at}`);
    this.name = 'SealKeyAlreadyWithdrawn';
    this.agency = agency;
    this.kid = kid;
  }
}

/**
 * A rotation, or a withdrawal of the current seal key, of an agency whose 64 previous keys are
 * none of them withdrawn (409): making room would let go of a key that still verifies its
 * licenses, which the operator did not ask for. Withdrawing the oldest first makes room (it is
 * then let go).
 */
export class SealKeyLimitReached extends Error {
  readonly code = 'SEAL_KEY_LIMIT_REACHED';
  readonly agency: string;
  constructor(agency: string, limit: number, oldestKid: string) {
    super(
      `agency ${agency} holds ${limit} previous seal keys, none of them withdrawn: withdraw the oldest, ${oldestKid}, first (the licenses it signed then stop verifying until re-issued); it is then let go to make room for the key that replaces the current one`,
    );
    this.name = 'SealKeyLimitReached';
    this.agency = agency;
  }
}

/** The current seal key withdrawn with no key to replace it: a bug of the caller, never the operator's. */
export class SealKeyReplacementRequired extends Error {
  readonly code = 'SEAL_KEY_REPLACEMENT_REQUIRED';
  constructor(agency: string, kid: string) {
    super(`seal key ${kid} is the one agency ${agency} signs with: its withdrawal needs a new key`);
    this.name = 'SealKeyReplacementRequired';
  }
}
