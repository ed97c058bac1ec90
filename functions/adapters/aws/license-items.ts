import { LICENSE_ID_ROOT, parseLicenseId } from '#core/identifiers/license-id.ts';
import { STORED_STATUSES, type StatusChange, type StoredStatus } from '#core/lifecycle.ts';
import { stableShard } from '#core/stable-shard.ts';
import type {
  HolderLicense,
  LicenseContent,
  LicenseRecord,
  NewLicense,
  StatusSlot,
} from '#ports/license-repository.ts';
import { StoredItemInvalid, type StoredItemIssue } from '#ports/stored-item-invalid.ts';

// Item layouts of the license tables, the holder index, the issuer listing and the status-list
// slots — written by the license repository, read by it and by the status-list store.
//
// license-<domain>-<shard>   (shard = stableShard(licenseKey, N of the domain))
//   pk  L#<licenseKey>        one partition per license: every version side by side
//   sk  V#<version>           3 digits, so text order is version order; the highest is current
//   id, licenseKey, typeCode, issuerCode, licenseVersion, dataDomain, status, statusListId,
//   statusIndex, holderIndex, issuedAt, content (map), history (list), supersededBy?, version (N,
//   optimistic lock), updatedAt, requestDigest? (the keyed digest of the request key that wrote
//   the version: a re-issue, an issue under a chosen serial; a status change keeps its own in its
//   history entry)
//
// holder-index
//   pk  H#<holder blind index>
//   sk  T#<typeCode>#<licenseKey>  one entry per license (not per version), pointing at the current id
//   licenseKey, licenseId, typeCode, issuerCode, dataDomain, issuedAt, former?
//   A re-issue to another holder turns the earlier holder's entry into a former one (former: true),
//   pointing at their last version: they keep finding the versions that were theirs.
//
// issuer-listing
//   pk  I#<issuerCode>#<typeCode>#<yyyyMM>#<s>   s = stableShard(licenseKey, S): S sub-keys per month
//   sk  <issuedAt>#<licenseId>                   issue order; the id makes it unique across sub-keys
//   licenseId, issuedAt
//
// status-lists (slots; the list metadata items are in dynamodb-status-list-store.ts)
//   pk  SL#<listId>
//   sk  I#<index, 10 digits>   claimed with attribute_not_exists in the issue write
//   status (N: the 2-bit Token Status List value), licenseId
//
//   pk  SLC#<listId>           changed slots: one item per slot whose status ever left valid
//   sk  I#<index, 10 digits>
//   status (N: the slot's current value)
//   Put in the same transaction as every status change of the slot (suspend, revoke, supersede,
//   and reinstate, which puts 0), never by the issue write: a list is rebuilt from these alone, so
//   its cost follows the few licenses that are not valid, not the up to 2^20 that were issued.
//   A reinstated slot keeps its item (status 0) rather than losing it: deleting would give the
//   issuer role DeleteItem on this table, where it now has none (no slot can be deleted and so
//   claimed twice). Lists written before this layout have no such items; none exist — the
//   platform had never been deployed — so nothing is migrated.

/** Largest index a 10-digit sort key holds; lists are at most 2^32 entries. */
const INDEX_DIGITS = 10;

export const licensePk = (licenseKey: string): string => `L#${licenseKey}`;
export const licenseSk = (licenseVersion: string): string => `V#${licenseVersion}`;
export const LICENSE_SK_PREFIX = 'V#';

export const holderPk = (holderIndex: string): string => `H#${holderIndex}`;
export const holderSk = (typeCode: string, licenseKey: string): string => `T#${typeCode}#${licenseKey}`;
export const holderTypePrefix = (typeCode: string): string => `T#${typeCode}#`;

export const slotPk = (listId: string): string => `SL#${listId}`;
export const slotSk = (index: number): string => `I#${String(index).padStart(INDEX_DIGITS, '0')}`;
export const SLOT_SK_PREFIX = 'I#';
export const changedSlotPk = (listId: string): string => `SLC#${listId}`;

/** The partition of issuer-listing sub-key `s` for a month (`yyyy-MM`). */
export function listingPk(issuerCode: string, typeCode: string, month: string, subKey: number): string {
  return `I#${issuerCode}#${typeCode}#${month.replace('-', '')}#${subKey}`;
}
export const listingSk = (issuedAt: string, licenseId: string): string => `${issuedAt}#${licenseId}`;

/** `yyyy-MM` of an RFC 3339 UTC time. */
export function monthOf(time: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T.*Z$/.test(time)) {
    throw new RangeError(`expected an RFC 3339 UTC time like 2025-03-01T08:00:00.000Z, found '${time}'`);
  }
  return time.slice(0, 7);
}

/** The sub-key a license's listing entries go to. */
export const listingSubKey = (licenseKey: string, subKeys: number): number =>
  stableShard(licenseKey, subKeys);

const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BLIND_INDEX = /^[A-Za-z0-9_=+/-]{16,128}$/;

/** Identifier parts of a version to be written; throws RangeError on what the layout cannot hold. */
export function describeNewLicense(license: NewLicense): {
  typeCode: string;
  issuerCode: string;
  serial: string;
  licenseVersion: string;
  licenseKey: string;
} {
  const parsed = parseLicenseId(license.id);
  if (!parsed.valid)
    throw new RangeError(`expected a valid license id, found ${license.id}: ${parsed.reason}`);
  if (!RFC3339_MS_UTC.test(license.issuedAt) || Number.isNaN(Date.parse(license.issuedAt))) {
    // Fixed width matters: issuedAt leads the listing sort key, and text order must be time order.
    throw new RangeError(
      `expected issuedAt as RFC 3339 UTC with milliseconds (2025-03-01T08:00:00.000Z), found '${license.issuedAt}'`,
    );
  }
  if (!BLIND_INDEX.test(license.holderIndex)) {
    throw new RangeError(
      `expected the holder index as 16–128 characters of base64 or base64url, found ${license.holderIndex.length} characters`,
    );
  }
  assertSlot(license.statusSlot);
  const { typeCode, issuerCode, serial, version } = parsed.parts;
  return {
    typeCode,
    issuerCode,
    serial,
    licenseVersion: version,
    licenseKey: `${LICENSE_ID_ROOT}.${typeCode}.${issuerCode}.${serial}`,
  };
}

export function assertSlot(slot: StatusSlot): void {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(slot.listId) || !Number.isSafeInteger(slot.index) || slot.index < 0) {
    throw new RangeError(`expected a status slot {listId, index ≥ 0}, found ${JSON.stringify(slot)}`);
  }
}

/** The item of a freshly issued version. */
export function newLicenseItem(
  license: NewLicense,
  dataDomain: string,
  parts: ReturnType<typeof describeNewLicense>,
): Record<string, unknown> {
  return {
    pk: licensePk(parts.licenseKey),
    sk: licenseSk(parts.licenseVersion),
    id: license.id,
    licenseKey: parts.licenseKey,
    typeCode: parts.typeCode,
    issuerCode: parts.issuerCode,
    licenseVersion: parts.licenseVersion,
    dataDomain,
    status: 'valid' satisfies StoredStatus,
    statusListId: license.statusSlot.listId,
    statusIndex: license.statusSlot.index,
    holderIndex: license.holderIndex,
    issuedAt: license.issuedAt,
    content: license.content,
    history: [],
    version: 1,
    updatedAt: license.issuedAt,
    ...(license.requestDigest === undefined ? {} : { requestDigest: license.requestDigest }),
  };
}

/** The record a stored license item describes; StoredItemInvalid when the item is not one. */
export function licenseRecordOf(item: Record<string, unknown>, table: string): LicenseRecord {
  const issues: StoredItemIssue[] = [];
  const text = (name: string): string => {
    const value = item[name];
    if (typeof value === 'string') return value;
    issues.push({ path: name, message: `expected text, found ${typeof value}` });
    return '';
  };
  const number = (name: string): number => {
    const value = item[name];
    if (typeof value === 'number') return value;
    issues.push({ path: name, message: `expected a number, found ${typeof value}` });
    return 0;
  };
  const status = text('status');
  if (!(STORED_STATUSES as readonly string[]).includes(status)) {
    issues.push({
      path: 'status',
      message: `expected one of ${STORED_STATUSES.join(', ')}, found '${status}'`,
    });
  }
  const record: LicenseRecord = {
    id: text('id'),
    licenseKey: text('licenseKey'),
    typeCode: text('typeCode'),
    issuerCode: text('issuerCode'),
    licenseVersion: text('licenseVersion'),
    dataDomain: text('dataDomain'),
    status: status as StoredStatus,
    statusSlot: { listId: text('statusListId'), index: number('statusIndex') },
    holderIndex: text('holderIndex'),
    issuedAt: text('issuedAt'),
    content: (item.content ?? {}) as LicenseContent,
    history: (item.history ?? []) as StatusChange[],
    version: number('version'),
  };
  if (typeof item.supersededBy === 'string') record.supersededBy = item.supersededBy;
  if (typeof item.requestDigest === 'string') record.requestDigest = item.requestDigest;
  if (issues.length > 0)
    throw new StoredItemInvalid(table, `${String(item.pk)} / ${String(item.sk)}`, issues);
  return record;
}

/** The holder-index item of a license's current version. */
export function holderItem(
  license: Pick<NewLicense, 'id' | 'holderIndex' | 'issuedAt'>,
  dataDomain: string,
  parts: ReturnType<typeof describeNewLicense>,
): Record<string, unknown> {
  return {
    pk: holderPk(license.holderIndex),
    sk: holderSk(parts.typeCode, parts.licenseKey),
    licenseKey: parts.licenseKey,
    licenseId: license.id,
    typeCode: parts.typeCode,
    issuerCode: parts.issuerCode,
    dataDomain,
    issuedAt: license.issuedAt,
  };
}

/**
 * The holder-index item of a license re-issued from this holder to another: it points at the
 * holder's last version (the one being superseded), so their listing still finds it.
 */
export function formerHolderItem(
  version: Pick<NewLicense, 'id' | 'holderIndex' | 'issuedAt'>,
  dataDomain: string,
  parts: ReturnType<typeof describeNewLicense>,
): Record<string, unknown> {
  return { ...holderItem(version, dataDomain, parts), former: true };
}

export function holderLicenseOf(item: Record<string, unknown>): HolderLicense {
  return {
    licenseKey: String(item.licenseKey),
    licenseId: String(item.licenseId),
    typeCode: String(item.typeCode),
    issuerCode: String(item.issuerCode),
    dataDomain: String(item.dataDomain),
    issuedAt: String(item.issuedAt),
    ...(item.former === true ? { former: true as const } : {}),
  };
}

/** The issuer-listing item of a version. */
export function listingItem(
  license: NewLicense,
  parts: ReturnType<typeof describeNewLicense>,
  subKeys: number,
): Record<string, unknown> {
  return {
    pk: listingPk(
      parts.issuerCode,
      parts.typeCode,
      monthOf(license.issuedAt),
      listingSubKey(parts.licenseKey, subKeys),
    ),
    sk: listingSk(license.issuedAt, license.id),
    licenseId: license.id,
    issuedAt: license.issuedAt,
  };
}

/** The status-list slot item claimed by a license. */
export function slotItem(slot: StatusSlot, licenseId: string, value: number): Record<string, unknown> {
  return { pk: slotPk(slot.listId), sk: slotSk(slot.index), status: value, licenseId };
}

/** The changed-slot item of a slot whose status is now `value`: what rebuilding its list reads. */
export function changedSlotItem(slot: StatusSlot, value: number): Record<string, unknown> {
  return { pk: changedSlotPk(slot.listId), sk: slotSk(slot.index), status: value };
}
