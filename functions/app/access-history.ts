// 用证记录: who did what with the holder's licenses, from the audit log — retrievals (which agency,
// on the holder's grant or on a duty basis with its service item and case number, for what
// purpose), verifications, grants, presentations and their resolutions, status changes — newest
// first. Reading the history is itself audited (it is not about one license, so it does not
// appear in the history it reads).
//
// The log is read per license through its by-license index; the licenses' slices are merged
// by time. The index is by license key, across versions, and a re-issue may name a new holder:
// only events about the caller's own versions are shown, and the grant events (which name the
// license, not a version) only for the caller's own grants. The page cursor keeps, per license,
// the position of the last event handed out from it (or that it is exhausted), so a page
// resumes each license exactly where it stopped.
import type { AuditEvent } from '#core/audit/event.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import type { AuditPosition, LicenseAuditReader } from '#ports/audit-log.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { GrantStore } from '#ports/grant-store.ts';
import type { HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { decodeJsonCursor, encodeJsonCursor, InvalidCursor } from '#ports/page.ts';
import { holdersLicense } from './holder-licenses.ts';
import { requireBinding } from './proof-identity.ts';

export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 100;

export interface AccessHistoryRequest {
  account: string;
  /** Only this license (identifier or license key; every version of it that is the caller's). */
  licenseId?: string;
  limit?: number;
  cursor?: string;
}

export interface AccessHistoryDeps {
  identity: HolderIdentityReader;
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent' | 'listByHolder' | 'listVersions'>;
  grants: Pick<GrantStore, 'get'>;
  auditLog: LicenseAuditReader;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

/** One access as the holder reads it. */
export interface AccessEntry {
  eventId: string;
  time: string;
  action: string;
  outcome: AuditEvent['outcome'];
  /** Who: an agency by USCC, the holder, the platform, an unauthenticated verifier. */
  actor: AuditEvent['actor'];
  licenseId?: string;
  licenseVersion?: string;
  typeCode?: string;
  /** On what basis: a grant of the holder, or a duty (sharing agreement, service item, case). */
  basis?: {
    kind: 'grant' | 'duty' | 'other';
    grantId?: string;
    legalBasis?: string;
    purpose?: string;
    serviceItemCode?: string;
    caseNumber?: string;
  };
  /** Fields handed out, where the event names them. */
  disclosed?: string[];
}

export async function readAccessHistory(
  request: AccessHistoryRequest,
  deps: AccessHistoryDeps,
): Promise<{ items: AccessEntry[]; cursor?: string }> {
  const binding = await requireBinding(deps.identity, request.account);
  const limit = request.limit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
    throw new RangeError(`expected a limit from 1 to ${MAX_HISTORY_LIMIT}, found ${limit}`);
  }
  const named =
    request.licenseId === undefined ? undefined : await holdersLicense(binding, request.licenseId, deps);
  const listed =
    named === undefined
      ? (await deps.licenses.listByHolder(binding.holderIndex)).map((l) => ({
          licenseKey: l.licenseKey,
          current: l.licenseId,
        }))
      : [{ licenseKey: named.licenseKey }];
  const keys = [...new Set(listed.map((l) => l.licenseKey))];
  const positions = decodeHistoryCursor(request.cursor, keys);
  const mine = ownership(binding.holderIndex, listed, deps);

  // Each license that is not exhausted gives up to a page; the newest `limit` of all of them win.
  const slices = await Promise.all(
    keys.map(async (key) => {
      const position = positions.get(key);
      if (position === null) return { key, events: [], more: false };
      const slice = await deps.auditLog.readByLicense(key, {
        limit,
        ...(position === undefined ? {} : { before: position }),
      });
      const kept = await Promise.all(slice.events.map((event) => mine(key, event)));
      return { key, events: slice.events.filter((_, i) => kept[i]), more: slice.more };
    }),
  );
  const merged = slices
    .flatMap(({ key, events }) => events.map((event) => ({ key, event })))
    .sort((a, b) => newestFirst(a.event, b.event));
  const page = merged.slice(0, limit);

  const next = new Map<string, AuditPosition | null>(positions);
  let more = false;
  for (const { key, events, more: sliceMore } of slices) {
    const taken = page.filter((entry) => entry.key === key);
    const last = taken.at(-1)?.event;
    if (last !== undefined) next.set(key, { time: last.time, id: last.id });
    const exhausted = taken.length === events.length && !sliceMore;
    if (exhausted) next.set(key, null);
    else more = true;
  }

  await deps.audit.record({
    id: deps.newEventId(),
    time: deps.now().toISOString(),
    actor: { kind: 'holder', id: request.account },
    action: 'holder.access_history_read',
    outcome: 'success',
    details: {
      licenses: keys.length,
      events: page.length,
      ...(request.licenseId === undefined ? {} : { licenseId: request.licenseId }),
    },
  });
  return {
    items: page.map(({ event }) => entryOf(event)),
    ...(more ? { cursor: encodeHistoryCursor(next) } : {}),
  };
}

/**
 * Whether an event of a license key is the caller's: one about a version whose holder is the
 * caller, or one naming only a grant (grant.created / grant.revoked) of the caller. Anything
 * else read through the key — another holder's version, an event naming neither — is left out.
 */
function ownership(
  holderIndex: string,
  listed: readonly { licenseKey: string; current?: string }[],
  deps: Pick<AccessHistoryDeps, 'licenses' | 'grants'>,
): (licenseKey: string, event: AuditEvent) => Promise<boolean> {
  const currents = new Map(listed.map(({ licenseKey, current }) => [licenseKey, current]));
  const versions = new Map<string, Promise<Set<string>>>();
  const ownVersions = (licenseKey: string): Promise<Set<string>> => {
    let own = versions.get(licenseKey);
    if (own === undefined) {
      const current = currents.get(licenseKey);
      const parsed = current === undefined ? undefined : parseLicenseId(current);
      // A license whose current version is the first has no other version: nothing to look up.
      own =
        parsed?.valid === true && parsed.parts.version === '001'
          ? Promise.resolve(new Set(['001']))
          : deps.licenses
              .listVersions(licenseKey)
              .then(
                (records) =>
                  new Set(records.filter((r) => r.holderIndex === holderIndex).map((r) => r.licenseVersion)),
              );
      versions.set(licenseKey, own);
    }
    return own;
  };
  const grants = new Map<string, Promise<boolean>>();
  const ownGrant = (grantId: string): Promise<boolean> => {
    let own = grants.get(grantId);
    if (own === undefined) {
      own = deps.grants.get(grantId).then((grant) => grant?.value.holderIndex === holderIndex);
      grants.set(grantId, own);
    }
    return own;
  };
  return async (licenseKey, { subject }) => {
    if (subject?.licenseVersion !== undefined) {
      return (await ownVersions(licenseKey)).has(subject.licenseVersion);
    }
    return subject?.grantId !== undefined && ownGrant(subject.grantId);
  };
}

function newestFirst(a: AuditEvent, b: AuditEvent): number {
  if (a.time !== b.time) return a.time < b.time ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function entryOf(event: AuditEvent): AccessEntry {
  const { basis, subject, details } = event;
  const grantId = subject?.grantId;
  const kind: NonNullable<AccessEntry['basis']>['kind'] =
    details?.basis === 'grant' || (grantId !== undefined && event.action === 'license.retrieved')
      ? 'grant'
      : details?.basis === 'duty' || basis?.serviceItemCode !== undefined
        ? 'duty'
        : 'other';
  const disclosed = details?.disclosed;
  return {
    eventId: event.id,
    time: event.time,
    action: event.action,
    outcome: event.outcome,
    actor: event.actor,
    ...(subject?.licenseId === undefined ? {} : { licenseId: subject.licenseId }),
    ...(subject?.licenseVersion === undefined ? {} : { licenseVersion: subject.licenseVersion }),
    ...(subject?.typeCode === undefined ? {} : { typeCode: subject.typeCode }),
    ...(basis === undefined && grantId === undefined
      ? {}
      : {
          basis: {
            kind,
            ...(grantId === undefined ? {} : { grantId }),
            ...(basis?.legalBasis === undefined ? {} : { legalBasis: basis.legalBasis }),
            ...(basis?.purpose === undefined ? {} : { purpose: basis.purpose }),
            ...(basis?.serviceItemCode === undefined ? {} : { serviceItemCode: basis.serviceItemCode }),
            ...(basis?.caseNumber === undefined ? {} : { caseNumber: basis.caseNumber }),
          },
        }),
    ...(Array.isArray(disclosed) && disclosed.every((d) => typeof d === 'string')
      ? { disclosed: disclosed as string[] }
      : {}),
  };
}

// The cursor: base64url JSON `{ "<license key>": [time, id] | null }` — null for an exhausted license.
function encodeHistoryCursor(positions: Map<string, AuditPosition | null>): string {
  const json: Record<string, [string, string] | null> = {};
  for (const [key, position] of positions)
    json[key] = position === null ? null : [position.time, position.id];
  return encodeJsonCursor(json);
}

/** Positions by license key; a license the cursor does not name starts from the newest event. */
function decodeHistoryCursor(
  cursor: string | undefined,
  keys: readonly string[],
): Map<string, AuditPosition | null> {
  const positions = new Map<string, AuditPosition | null>();
  if (cursor === undefined) return positions;
  const parsed = decodeJsonCursor(cursor);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidCursor('expected positions by license');
  }
  const wanted = new Set(keys);
  for (const [key, value] of Object.entries(parsed)) {
    if (!wanted.has(key)) throw new InvalidCursor('it names a license this history does not cover');
    if (value === null) {
      positions.set(key, null);
    } else if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value[0]) &&
      typeof value[1] === 'string' &&
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(value[1])
    ) {
      positions.set(key, { time: value[0], id: value[1] });
    } else {
      throw new InvalidCursor('expected a position [time, id] or null per license');
    }
  }
  return positions;
}
