import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency, SealKeyRef } from '#core/catalog/agency.ts';
import {
  checkValidityPeriod,
  type LicenseData,
  LONG_TERM,
  normalisedText,
  type ValidityPeriod,
  validateLicenseData,
  validityOf,
} from '#core/catalog/license-data.ts';
import { fieldOf, type LicenseType, mayIssue } from '#core/catalog/license-type.ts';
import { type CivilDate, normaliseCivilDate } from '#core/civil-date.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import type { PublicJwk } from '#core/jws.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import type { Actor } from '#core/lifecycle.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import { DeviceKeyChangedMeanwhile, LicenseNotFound } from '#core/storage-errors.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { HolderKeyLookup } from '#ports/holder-store.ts';
import type {
  BoundDeviceKey,
  LicenseRecord,
  LicenseRepository,
  StatusSlot,
  LicenseContent as StoredContent,
} from '#ports/license-repository.ts';
import type { SigningKeys } from '#ports/signer.ts';
import type { StatusListStore } from '#ports/status-list-store.ts';
import {
  IssuerNotRegistered,
  LicenseDataInvalid,
  type LicenseInputError,
  NotTheIssuer,
  SealKeyUnusable,
} from './issuer-errors.ts';
import { type LayoutDocumentRef, type LicenseContent, sealLicenseContent } from './license-content.ts';

// What every issuing use case (issue, batch issue, re-issue) shares: who may issue a type, how a
// request's data, holder and validity are checked against the type, and how a license version
// is signed with the agency's seal and its content sealed for storage.

/** The authenticated agency a use case acts for. */
export interface IssuerCaller {
  /** USCC of the agency whose request signature was verified. */
  agency: string;
}

/** The holder as the issuer names it: must agree with the holder fields of the data. */
export interface HolderInput {
  name: string;
  /** 持证主体代码类型: `111` citizen identity number, `001` USCC, … */
  codeType: string;
  code: string;
}

/** A validity period as sent: dates `YYYY-MM-DD` (printed forms accepted), `until` may be `long-term`/`长期`. */
export interface ValidityInput {
  from: string;
  until: string;
}

/** What an issuer sends to have one license issued. */
export interface LicenseRequest {
  /** GB/T 36904 type code, 21 characters. */
  typeCode: string;
  /** 流水号, 1–32 of `[0-9A-Z]`; the platform draws a random one when absent. */
  serial?: string;
  holder: HolderInput;
  /** Field name → value, checked against the type's field schema. */
  data: Readonly<Record<string, unknown>>;
  /** Needed when the data carries no validity field (the type has none, or an optional one left out); else must agree with it. */
  validity?: ValidityInput;
}

/** A license version as issued: what the issuer gets back. */
export interface IssuedLicense {
  licenseId: string;
  /** GB/T 36904 version, `001` first. */
  version: string;
  status: 'valid';
  statusList: { uri: string; idx: number };
  /** The full SD-JWT VC, every disclosure included: the issuer's own signed copy. */
  sdJwt: string;
}

export interface IssuanceDeps {
  config: Pick<ConfigStore, 'getAgency' | 'getLicenseType'>;
  /** `get` tells, after a failed write, whether the license holds a document stored for it all the same. */
  licenses: Pick<LicenseRepository, 'issue' | 'get'>;
  statusLists: Pick<StatusListStore, 'allocateSlot'>;
  keys: Pick<SigningKeys, 'keyFor'>;
  cipher: FieldCipher;
  blindIndex: BlindIndexer;
  /**
   * The holder's device key (手机盾) by holder index: a license issued to a holder with an active
   * one carries it as `cnf.jwk`, written only while the key is still active (BoundDeviceKey).
   * Without it, licenses carry no `cnf`.
   */
  holderKeys?: HolderKeyLookup;
  /** The platform's public base URL: issuer and status-list URIs are built under it. */
  publicBaseUrl: string;
  now: () => Date;
  /** Audit event ids; random UUIDs unless told. */
  newEventId?: () => string;
  /** Serials for requests without one; {@link randomSerial} unless told. */
  newSerial?: () => string;
}

/** The normalised, checked content of a license request. */
export interface CheckedLicense {
  data: LicenseData;
  holder: HolderInput;
  validity: { from: CivilDate; until: CivilDate | typeof LONG_TERM };
}

/** Fewer characters than this of a sensitive value in a serial are taken as coincidence. */
const SENSITIVE_IN_SERIAL_MIN = 6;

/**
 * The error for a serial the issuer chose that holds the value of one of the license's sensitive
 * fields (a file number 档案编号, a plate number): the serial is part of the license identifier,
 * shown in clear wherever the license is named — audit log, URLs, index keys, every disclosure
 * of the license, however few fields it shows — so it would undo the field's encryption and its
 * selective disclosure. String and number fields, compared as the serial's alphabet (0-9A-Z) and
 * at least SENSITIVE_IN_SERIAL_MIN characters of it: a date is left out, as an issuer's date +
 * sequence numbering meets a date field by its day alone (a birth certificate issued on the birth
 * day). The holder's code is refused before, in any field (refuseCodes).
 */
export function sensitiveValueInSerial(
  type: LicenseType,
  data: LicenseData,
  serial: string,
): LicenseInputError | undefined {
  const inSerialAlphabet = (text: string) =>
    text
      .normalize('NFKC')
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, '');
  const plainSerial = inSerialAlphabet(serial);
  const held = type.fields.filter((field) => {
    if (!field.sensitive || (field.type !== 'string' && field.type !== 'number')) return false;
    const value = data[field.name];
    if (typeof value !== 'string' && typeof value !== 'number') return false;
    const plain = inSerialAlphabet(String(value));
    return plain.length >= SENSITIVE_IN_SERIAL_MIN && plainSerial.includes(plain);
  });
  if (held.length === 0) return undefined;
  return {
    path: 'serial',
    code: 'sensitive-value',
    message: `must not hold the value of the sensitive field ${held.map((f) => f.name).join(', ')}: the serial is part of the license identifier, which is shown in clear wherever the license is named; use a number of your own or leave the serial out`,
  };
}

const SERIAL_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** 16 characters of 36: about 82 bits, so serials drawn at random never meet in practice. */
export const RANDOM_SERIAL_LENGTH = 16;

/**
 * A random serial of `[0-9A-Z]`: random rather than sequential, so a serial says nothing about
 * how many licenses an issuer has issued or when, and no counter is contended.
 */
export function randomSerial(length = RANDOM_SERIAL_LENGTH): string {
  return serialFrom(() => randomBytes(length * 2), length);
}

/**
 * A serial of `[0-9A-Z]` that follows from a name — whatever names one issuance — so issuing
 * under the same name again names the same license. As uniform as a random one (the characters
 * are drawn from SHA-256 of the name as {@link randomSerial} draws them from random bytes), and
 * it says no more about the name than a hash does.
 */
export function derivedSerial(name: readonly string[], length = RANDOM_SERIAL_LENGTH): string {
  // JSON keeps the parts apart: ['a', 'bc'] and ['ab', 'c'] are two names.
  const named = JSON.stringify(['elicense:serial', ...name]);
  return serialFrom((block) => createHash('sha256').update(`${block}\n${named}`).digest(), length);
}

/** `length` characters of the alphabet from the bytes of successive blocks. */
function serialFrom(block: (n: number) => Uint8Array, length: number): string {
  let serial = '';
  for (let n = 0; serial.length < length; n += 1) {
    for (const byte of block(n)) {
      // 252 = 7 × 36: bytes above it are dropped, so every character is equally likely.
      if (byte < 252 && serial.length < length) serial += SERIAL_ALPHABET[byte % 36];
    }
  }
  return serial;
}

/** The type and the agency's seal key, when the agency may issue the type; else a typed refusal. */
export async function issuableType(
  config: IssuanceDeps['config'],
  agencyUscc: string,
  typeCode: string,
): Promise<{ type: LicenseType; agency: Agency; seal: SealKeyRef }> {
  const [type, agency] = await Promise.all([config.getLicenseType(typeCode), config.getAgency(agencyUscc)]);
  if (type === undefined) {
    throw new LicenseDataInvalid([
      { path: 'typeCode', code: 'unknown-type', message: `no license type ${typeCode} is registered` },
    ]);
  }
  if (!mayIssue(type.value, agencyUscc)) throw new IssuerNotRegistered(agencyUscc, typeCode);
  const seal = agency?.value.roles.includes('issuer') ? agency.value.sealKey : undefined;
  if (agency === undefined || seal === undefined) {
    throw new IssuerNotRegistered(agencyUscc, typeCode, 'is not a registered issuer with a seal key');
  }
  return { type: type.value, agency: agency.value, seal };
}

/**
 * Refuses (IssuerNotRegistered) an agency no longer among the type's issuers. Such an agency may
 * still withdraw a license it issued (suspend, revoke); renewing or amending one (reinstate,
 * re-issue, a layout document) is issuing, and needs the registration.
 */
export async function stillIssuerOf(
  config: Pick<IssuanceDeps['config'], 'getLicenseType'>,
  agencyUscc: string,
  typeCode: string,
): Promise<void> {
  const type = await config.getLicenseType(typeCode);
  if (type === undefined || !mayIssue(type.value, agencyUscc)) {
    throw new IssuerNotRegistered(agencyUscc, typeCode);
  }
}

/**
 * Checks a request's data against its type, the named holder against the data's holder fields,
 * and the validity against the type's terms; returns them normalised, or throws
 * LicenseDataInvalid with one error per bad part.
 */
export function checkLicense(
  type: LicenseType,
  request: {
    data: unknown;
    holder?: HolderInput | undefined;
    validity?: ValidityInput | undefined;
    /** A re-issue's current validity: taken when the data carries none and none is given. */
    currentValidity?: ValidityInput | undefined;
  },
  today: CivilDate,
): CheckedLicense {
  const errors: LicenseInputError[] = [];
  const result = validateLicenseData(type, request.data, { today });
  if (!result.ok) {
    for (const e of result.errors) {
      errors.push({ path: e.field ? `data.${e.field}` : 'data', code: e.code, message: e.reason });
    }
  }
  const data = result.ok ? result.data : {};
  const name = data[type.holder.nameField];
  const code = data[type.holder.codeField];
  const holder: HolderInput = {
    name: typeof name === 'string' ? name : '',
    codeType: type.holder.codeType,
    code: typeof code === 'string' ? code : '',
  };
  if (request.holder !== undefined) {
    const given = request.holder;
    if (given.codeType !== type.holder.codeType) {
      errors.push(
        mismatch(
          'holder.codeType',
          `type ${type.code} has holder code type ${type.holder.codeType}, found ${given.codeType}`,
        ),
      );
    }
    // Compared only when the data's own holder fields passed: otherwise their errors say it.
    // Each spelled as its field is in the data, so the same value sent alike in both agrees.
    if (result.ok && normalisedText(fieldOf(type, type.holder.nameField) ?? {}, given.name) !== holder.name) {
      errors.push(
        mismatch('holder.name', `expected the holder name to be ${type.holder.nameField} of the data`),
      );
    }
    // The code as the holder index reads it (upper-cased, as the blind index normalises it): two
    // spellings the index takes for one holder are one holder here too.
    const codeField = fieldOf(type, type.holder.codeField) ?? {};
    if (result.ok && normalisedText(codeField, given.code).toUpperCase() !== holder.code.toUpperCase()) {
      errors.push(
        mismatch('holder.code', `expected the holder code to be ${type.holder.codeField} of the data`),
      );
    }
  }
  const validity = checkValidity(type, result.ok ? data : undefined, request, today, errors);
  if (errors.length > 0 || validity === undefined) throw new LicenseDataInvalid(errors);
  return { data, holder, validity };
}

function mismatch(path: string, message: string): LicenseInputError {
  return { path, code: 'holder-mismatch', message };
}

function checkValidity(
  type: LicenseType,
  data: LicenseData | undefined,
  request: { validity?: ValidityInput | undefined; currentValidity?: ValidityInput | undefined },
  today: CivilDate,
  errors: LicenseInputError[],
): ValidityPeriod | undefined {
  const given = request.validity;
  const parsed = given === undefined ? undefined : parsePeriod(given);
  if (given !== undefined && parsed === undefined) {
    errors.push({
      path: 'validity',
      code: 'period',
      message: `expected from and until as dates (until may be long-term) with until not before from, found ${JSON.stringify(given)}`,
    });
    return undefined;
  }
  const { field } = type.validity;
  if (field !== undefined) {
    // The data carries the validity; its field errors are already reported.
    if (data === undefined) return undefined;
    const fromData = validityOf(type, data);
    if (fromData !== undefined) {
      if (parsed !== undefined && (parsed.from !== fromData.from || parsed.until !== fromData.until)) {
        errors.push({
          path: 'validity',
          code: 'validity-mismatch',
          message: `expected the validity of ${field} (${fromData.from} to ${fromData.until}), found ${parsed.from} to ${parsed.until}`,
        });
        return undefined;
      }
      return fromData;
    }
    // An optional validity field left out of the data (a required one is reported missing
    // already): every license has a validity, so it is the one given apart, as for a type
    // without the field.
  }
  const current = request.currentValidity && parsePeriod(request.currentValidity);
  const period = parsed ?? current;
  if (period === undefined) {
    errors.push({
      path: 'validity',
      code: 'missing',
      message: `type ${type.code} needs a validity period${field === undefined ? '' : `, in data.${field} or as validity`}`,
    });
    return undefined;
  }
  const refused = checkValidityPeriod(type.validity, period, today);
  if (refused !== undefined) {
    errors.push({ path: 'validity', code: 'validity-term', message: refused });
    return undefined;
  }
  return period;
}

function parsePeriod(given: ValidityInput): ValidityPeriod | undefined {
  const from = normaliseCivilDate(given.from);
  if (from === undefined) return undefined;
  if (given.until.trim() === LONG_TERM || given.until.trim() === '长期') return { from, until: LONG_TERM };
  const until = normaliseCivilDate(given.until);
  return until === undefined || until < from ? undefined : { from, until };
}

/** The day of an instant in China Standard Time: the issue day that licenses print. */
export function issueDay(now: Date): CivilDate {
  return chinaCalendarDate(now);
}

const CST_OFFSET_SECONDS = 8 * 3600;
const DAY_SECONDS = 24 * 3600;

/** NumericDate of the start (00:00 China Standard Time) of a civil date. */
export function startOfChinaDay(date: CivilDate): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day) / 1000 - CST_OFFSET_SECONDS;
}

export interface SignRequest {
  licenseId: string;
  issuerUscc: string;
  seal: SealKeyRef;
  type: Pick<LicenseType, 'dataDomain' | 'holder'>;
  license: CheckedLicense;
  slot: StatusSlot;
  issuedAt: Date;
  /** Carried into the stored content, for a re-issue of unchanged data. */
  document?: LayoutDocumentRef | undefined;
  /** The holder's device key, which becomes `cnf.jwk`. */
  holderKey?: PublicJwk | undefined;
}

/**
 * Signs a license version as an SD-JWT VC with the agency's seal key — `nbf` the first valid
 * day, `exp` the end of the last one (none for long-term), both in China Standard Time — and
 * seals its content for storage.
 */
export async function signLicense(
  request: SignRequest,
  deps: Pick<IssuanceDeps, 'keys' | 'cipher' | 'publicBaseUrl'>,
): Promise<{ sdJwt: string; content: StoredContent; statusList: { uri: string; idx: number } }> {
  const unusable = (error: unknown): never => {
    if (error instanceof SigningKeyWithdrawn) {
      throw new SealKeyUnusable(request.issuerUscc, request.seal.kid, { cause: error });
    }
    throw error;
  };
  const key = await deps.keys.keyFor(request.seal.keyRef).catch(unusable);
  if (key.signer.kid !== request.seal.kid) {
    // Such a license would never verify: the registry publishes the seal under its own kid.
    throw new Error(
      `seal key ${request.seal.keyRef} signs as kid ${key.signer.kid}, but the registry publishes kid ${request.seal.kid}`,
    );
  }
  const { validity } = request.license;
  const statusList = { uri: statusListUri(deps.publicBaseUrl, request.slot.listId), idx: request.slot.index };
  const { sdJwt } = await issueSdJwtVc(
    {
      licenseId: request.licenseId,
      issuer: agencyIssuer(deps.publicBaseUrl, request.issuerUscc),
      fields: request.license.data,
      issuedAt: Math.floor(request.issuedAt.getTime() / 1000),
      validFrom: startOfChinaDay(validity.from),
      validUntil: validity.until === LONG_TERM ? null : startOfChinaDay(validity.until) + DAY_SECONDS,
      status: statusList,
      holderKey: request.holderKey,
    },
    key.signer,
  ).catch(unusable);
  const content = await sealLicenseContent(
    deps.cipher,
    { dataDomain: request.type.dataDomain, licenseId: request.licenseId },
    { sdJwt },
    {
      validity: { from: validity.from, until: validity.until },
      holderCodeType: request.type.holder.codeType,
      ...(request.document ? { document: request.document } : {}),
    },
  );
  // The repository keeps content as an opaque record; LicenseContent is one.
  return { sdJwt, content: content as LicenseContent & StoredContent, statusList };
}

/** A holder's device key as a license is bound to it: its cnf.jwk, and the key its write checks. */
export interface HolderKey {
  jwk: PublicJwk;
  bound: BoundDeviceKey;
}

/** The device key licenses issued to this holder are bound to, when the deps can look one up. */
export async function holderKeyOf(
  deps: Pick<IssuanceDeps, 'holderKeys'>,
  holderIndex: string,
): Promise<HolderKey | undefined> {
  const key = await deps.holderKeys?.deviceKeyOf(holderIndex);
  if (key === undefined) return undefined;
  // `kid` is required of a PublicJwk but is never put into cnf.jwk (only the key's members are).
  return { jwk: { ...key.jwk, kid: 'holder-device-key' }, bound: { account: key.account, keyId: key.id } };
}

/** How often a license is signed and written when its holder's device key was revoked meanwhile. */
const HOLDER_KEY_ATTEMPTS = 2;

/**
 * Signs and writes a license bound to the holder's device key read beforehand (`read`), and once
 * more, bound to the key active then, when the write found that key revoked meanwhile
 * (DeviceKeyChangedMeanwhile, nothing written): a holder who revoked a lost phone's key must not
 * find a license issued a moment later bound to it. Signing again costs nothing but time (it
 * leaves nothing behind), and the status slot drawn stays the license's: the refused write
 * claimed none. A key that keeps changing ends in the refusal, a 409 the issuer sends again.
 */
export async function writtenWithHolderKey<T>(
  deps: Pick<IssuanceDeps, 'holderKeys'>,
  holderIndex: string,
  read: HolderKey | undefined,
  signAndWrite: (holderKey: HolderKey | undefined) => Promise<T>,
): Promise<T> {
  let holderKey = read;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await signAndWrite(holderKey);
    } catch (error) {
      if (!(error instanceof DeviceKeyChangedMeanwhile) || attempt >= HOLDER_KEY_ATTEMPTS) throw error;
      holderKey = await holderKeyOf(deps, holderIndex);
    }
  }
}

/** The fields of an issued SD-JWT VC, read back from its disclosures. */
export function fieldsOfSdJwt(sdJwt: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const encoded of sdJwt.split('~').slice(1)) {
    if (encoded === '') continue;
    const disclosure = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(disclosure) || disclosure.length !== 3 || typeof disclosure[1] !== 'string') {
      throw new Error('expected a disclosure [salt, name, value] in a stored license');
    }
    fields[disclosure[1]] = disclosure[2];
  }
  return fields;
}

/** Whether an issued SD-JWT VC's disclosures carry exactly this checked data, however it was spelled when sent. */
export function carriesData(sdJwt: string, data: LicenseData): boolean {
  // Normalised license data is JSON; the disclosures hold it as JSON.parse gives it back.
  return isDeepStrictEqual(fieldsOfSdJwt(sdJwt), JSON.parse(JSON.stringify(data)));
}

/** An audit event of an issuer's action on a license, at `time`. */
export function issuerAuditEvent(
  deps: Pick<IssuanceDeps, 'newEventId'>,
  caller: IssuerCaller,
  action: string,
  time: Date,
  subject: { licenseId: string; typeCode: string },
  details?: Record<string, string | number | null>,
): AuditEvent {
  const parsed = parseLicenseId(subject.licenseId);
  return {
    id: deps.newEventId?.() ?? randomUUID(),
    time: time.toISOString(),
    actor: { kind: 'agency', id: caller.agency },
    action,
    subject: {
      licenseId: subject.licenseId,
      ...(parsed.valid ? { licenseVersion: parsed.parts.version } : {}),
      typeCode: subject.typeCode,
    },
    outcome: 'success',
    ...(details ? { details } : {}),
  };
}

/** The lifecycle actor of an agency. */
export function agencyActor(caller: IssuerCaller): Actor {
  return { kind: 'agency', id: caller.agency };
}

/**
 * The stored license version an agency asks to change, when it is the issuer: the identifier
 * must be well formed (InvalidIdentifier), name the caller as issuer (NotTheIssuer — decided
 * from the identifier, before any read) and be stored (LicenseNotFound).
 */
export async function ownLicense(
  licenses: Pick<LicenseRepository, 'get'>,
  caller: IssuerCaller,
  licenseId: string,
): Promise<LicenseRecord> {
  const parsed = parseLicenseId(licenseId);
  if (!parsed.valid) throw new InvalidIdentifier('license-id', parsed.reason);
  if (parsed.parts.issuerCode !== caller.agency) {
    throw new NotTheIssuer(caller.agency, licenseId, parsed.parts.issuerCode);
  }
  return storedLicense(licenses, licenseId);
}

/** The stored license version, or LicenseNotFound. */
export async function storedLicense(
  licenses: Pick<LicenseRepository, 'get'>,
  licenseId: string,
): Promise<LicenseRecord> {
  const record = await licenses.get(licenseId);
  if (record === undefined) throw new LicenseNotFound(licenseId);
  return record;
}
