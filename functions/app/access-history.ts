// 用证记录: who did what with the holder's licenses, from the audit log — retrievals (which agency,
// on the holder's grant or on a duty basis with its service item and case number, for what
// purpose), verifications, grants, presentations and their resolutions, status changes — newest
// first. Reading the history is itself audited before it is answered, with the event's id in the
// answer (it is not about one license, so it does not appear in the history it reads).
//
// The log is read per license through its by-license index (and, for the events naming a grant
// but no license, per grant of the holder's: see grantStreams); the slices are merged by time. The
// index is by license key, across versions, and a re-issue may name a new holder: only events about
// the caller's own versions are shown, and the grant events (which name the license, not a
// version) only for the caller's own grants.
//
// Paging: every license's events and the merge follow one order (time, then event id, newest
// first: the index's sort key), and the merge hands out an event only once every license's next
// event is known, so a page is the newest `limit` events of all the licenses. The cursor is then
// the position of the last event handed out, whatever the number of licenses: the next page is
// every license's events strictly older than it — none skipped, none repeated.
import { type AuditEvent, auditEventId, auditTime } from '#core/audit/event.ts';
import type { Grant } from '#core/grants/grant.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyNamedBy } from '#core/license-key.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import type { AuditPosition, LicenseAuditReader } from '#ports/audit-log.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { GrantStore } from '#ports/grant-store.ts';
import type { HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { decodeJsonCursor, encodeJsonCursor, InvalidCursor } from '#ports/page.ts';
import { holdersLicense } from './holder-licenses.ts';
import { recordHolderRead } from './holder-read-event.ts';
import { parseLicenseReference } from './license-reference.ts';
import { requireBinding } from './proof-identity.ts';

export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 100;

export interface AccessHistoryRequest {
  account: string;
  /**
   * Only this license (identifier or license key; every version of it that is or was the
   * caller's, a license key too after a re-issue to another holder).
   */
  licenseId?: string;
  limit?: number;
  cursor?: string;
}

export interface AccessHistoryDeps {
  identity: HolderIdentityReader;
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent' | 'listByHolder' | 'listVersions'>;
  grants: Pick<GrantStore, 'get' | 'listByHolder'>;
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
): Promise<{ items: AccessEntry[]; cursor?: string; auditEventId: string }> {
  const binding = await requireBinding(deps.identity, request.account);
  const limit = request.limit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
    throw new RangeError(`expected a limit from 1 to ${MAX_HISTORY_LIMIT}, found ${limit}`);
  }
  const named =
    request.licenseId === undefined
      ? undefined
      : await namedLicense(binding.holderIndex, request.licenseId, deps);
  const listed =
    named === undefined
      ? // With the licenses re-issued from the holder to another: the versions that were theirs stay their history.
        (await deps.licenses.listByHolder(binding.holderIndex, undefined, { includeFormer: true })).map(
          (l) => ({
            licenseKey: l.licenseKey,
            current: l.licenseId,
          }),
        )
      : [named];
  const keys = [...new Set(listed.map((l) => l.licenseKey))];
  const before = decodeHistoryCursor(request.cursor);
  const mine = ownership(binding.holderIndex, listed, deps);

  const streams = [
    ...keys.map((key): LicenseStream => ({ key, events: [], before, more: true, reads: 0 })),
    ...(await grantStreams(binding.holderIndex, named, before, deps)).map(
      (grantId): LicenseStream => ({
        key: grantId,
        grant: named === undefined ? 'every-event' : 'uses-only',
        events: [],
        before,
        more: true,
        reads: 0,
      }),
    ),
  ];
  const next = (stream: LicenseStream) => nextOwnEvent(stream, limit, mine, deps.auditLog);
  const page: AuditEvent[] = [];
  while (page.length < limit) {
    const heads = await Promise.all(streams.map(next));
    let newest: number | undefined;
    heads.forEach((head, i) => {
      const best = newest === undefined ? undefined : heads[newest];
      if (head !== undefined && (best === undefined || newestFirst(head, best) < 0)) newest = i;
    });
    if (newest === undefined) break;
    page.push(streams[newest]!.events.shift()!);
  }
  const last = page.at(-1);
  const more =
    page.length === limit && last !== undefined && streams.some((s) => s.events.length > 0 || s.more);

  const auditEventId = await recordHolderRead(
    request.account,
    'holder.access_history_read',
    {
      licenses: keys.length,
      events: page.length,
      ...(request.licenseId === undefined ? {} : { licenseId: request.licenseId }),
    },
    deps,
  );
  return {
    items: page.map(entryOf),
    ...(more ? { cursor: encodeHistoryCursor(last) } : {}),
    auditEventId,
  };
}

/**
 * The license the caller narrows the history to, when it is or was theirs: a version identifier
 * must name one of their versions; a license key is looked up among the holder's own licenses,
 * former ones too — its current version may be another holder's after a re-issue, and the
 * versions that were the caller's are still their history. LicenseNotFound otherwise.
 */
async function namedLicense(
  holderIndex: string,
  licenseId: string,
  deps: Pick<AccessHistoryDeps, 'licenses'>,
): Promise<NamedLicense> {
  const reference = parseLicenseReference(licenseId);
  const { typeCode } = reference;
  if (reference.kind === 'version') {
    return { licenseKey: (await holdersLicense({ holderIndex }, licenseId, deps)).licenseKey, typeCode };
  }
  const entries = await deps.licenses.listByHolder(holderIndex, typeCode, { includeFormer: true });
  const entry = entries.find((l) => l.licenseKey === reference.licenseKey);
  if (entry === undefined) throw new LicenseNotFound(licenseId);
  return { licenseKey: entry.licenseKey, current: entry.licenseId, typeCode };
}

interface NamedLicense {
  licenseKey: string;
  current?: string;
  typeCode: string;
}

/**
 * How far a grant's events may precede its `created`: the grant.created event takes its time just
 * before the store stamps the grant, and a refusal on another function's clock may run a little
 * behind. A minute is far more than either; too small a margin would lose events, too large only
 * reads a few more streams.
 */
const GRANT_CLOCK_MARGIN_MS = 60_000;

/**
 * The grants whose own streams (the events that name a grant but no license: a grant of a type's
 * creation and revocation, and a retrieval refused on the grant that met no license it covers)
 * the page reads, merged with the licenses' streams — the holder should see their code misused.
 *
 * Unnarrowed: every grant of the holder's. Narrowed to a license: the grants that cover it — one
 * of that license, and one of its type that was in force (created .. revoked or expired) while the
 * holder held the license (from their first version's issue until another holder's version
 * replaced their last): a refused use of a type grant names the type only, so it may have been
 * aimed at any license of the type the grant covered. Of these streams the narrowed history shows
 * the uses (license.retrieved) only: a type grant's creation and revocation are about the grant.
 *
 * Cost: a grant's events are never older than its creation, so below a cursor the grants made
 * after it are not read — but they have no upper bound (a revoked or expired grant's code can be
 * refused any time later, and nothing records when), so every grant made before the position is
 * still read, one query each. A page's cost bounded by its size needs that bound kept on the
 * grant or the events indexed by holder: a change of the store, not of this reader.
 */
async function grantStreams(
  holderIndex: string,
  named: NamedLicense | undefined,
  before: AuditPosition | undefined,
  deps: Pick<AccessHistoryDeps, 'grants' | 'licenses'>,
): Promise<string[]> {
  const latest = before === undefined ? undefined : Date.parse(before.time) + GRANT_CLOCK_MARGIN_MS;
  const grants = (await grantsOf(holderIndex, deps)).filter(
    (grant) => latest === undefined || Date.parse(grant.created) <= latest,
  );
  const read = named === undefined ? grants : await covering(grants, holderIndex, named, deps);
  return read.map((grant) => grant.id);
}

/** The holder's grants, of one license or of a type. */
async function grantsOf(holderIndex: string, deps: Pick<AccessHistoryDeps, 'grants'>): Promise<Grant[]> {
  const grants: Grant[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.grants.listByHolder(holderIndex, cursor === undefined ? {} : { cursor });
    for (const { value } of page.items) grants.push(value);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return grants;
}

/** Of the holder's grants, those covering the license (see grantStreams). */
async function covering(
  grants: readonly Grant[],
  holderIndex: string,
  named: NamedLicense,
  deps: Pick<AccessHistoryDeps, 'licenses'>,
): Promise<Grant[]> {
  const ofType = grants.filter(({ scope }) => scope.kind === 'type' && scope.typeCode === named.typeCode);
  const held = ofType.length === 0 ? undefined : await tenure(holderIndex, named.licenseKey, deps);
  return grants.filter(({ scope, created, revoked, expiresAt }) => {
    if (scope.kind === 'license') return licenseKeyNamedBy(scope.licenseId) === named.licenseKey;
    if (held === undefined || scope.typeCode !== named.typeCode) return false;
    return (held.until === undefined || created < held.until) && (revoked ?? expiresAt) > held.from;
  });
}

/** When the holder held the license: their first version's issue until the next holder's version's. */
async function tenure(
  holderIndex: string,
  licenseKey: string,
  deps: Pick<AccessHistoryDeps, 'licenses'>,
): Promise<{ from: string; until?: string } | undefined> {
  const versions = await deps.licenses.listVersions(licenseKey);
  const own = versions.filter((v) => v.holderIndex === holderIndex);
  const first = own[0];
  const last = own.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const next = versions.find((v) => v.licenseVersion > last.licenseVersion);
  return { from: first.issuedAt, ...(next === undefined ? {} : { until: next.issuedAt }) };
}

/** One license's (or grant's) events as the merge consumes them: the caller's, read a slice at a time. */
interface LicenseStream {
  /** The license key, or the grant id of a grant's stream (its events naming no license). */
  key: string;
  /** A grant's stream; narrowed to a license, only its uses (refused retrievals) are kept. */
  grant?: 'every-event' | 'uses-only';
  /** Read and kept, not yet handed out; newest first. */
  events: AuditEvent[];
  /** Where the next read starts (exclusive): the last event read, kept or not. */
  before: AuditPosition | undefined;
  /** Whether the index may hold older events of the license. */
  more: boolean;
  reads: number;
}

/** The stream's next own event, reading on while what was read is all left out; undefined at its end. */
async function nextOwnEvent(
  stream: LicenseStream,
  limit: number,
  mine: (licenseKey: string, event: AuditEvent) => Promise<boolean>,
  auditLog: LicenseAuditReader,
): Promise<AuditEvent | undefined> {
  while (stream.events.length === 0 && stream.more) {
    // The first read takes a page; a further one is needed only when events were left out (another
    // holder's versions), and it takes the most the index gives, to pass them in few reads.
    const options = {
      limit: stream.reads === 0 ? limit : MAX_HISTORY_LIMIT,
      ...(stream.before === undefined ? {} : { before: stream.before }),
    };
    const slice = await (stream.grant
      ? auditLog.readByGrant(stream.key, options)
      : auditLog.readByLicense(stream.key, options));
    stream.reads += 1;
    const last = slice.events.at(-1);
    stream.more = slice.more && last !== undefined;
    if (last !== undefined) stream.before = { time: last.time, id: last.id };
    const kept = await Promise.all(
      slice.events.map(
        async (event) =>
          (stream.grant !== 'uses-only' || event.action === 'license.retrieved') &&
          (await mine(stream.key, event)),
      ),
    );
    stream.events = slice.events.filter((_, i) => kept[i]);
  }
  return stream.events[0];
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
      // The index entry's version: the current one, or (a former entry) the holder's last one.
      const current = currents.get(licenseKey);
      const parsed = current === undefined ? undefined : parseLicenseId(current);
      // A license whose entry names the first version has no other version of the holder's: nothing to look up.
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
  // Only an event whose own subject files it under the stream's key: an item re-keyed in the
  // table (its by-license key copied from another item) would show another license's retrieval
  // here. Left out as another holder's versions are, so the stream reads on past it (`audit
  // verify` names such an item unreadable).
  return async (key, { subject }) => {
    // Where the writer files an event (audit-items.ts): its license's key, else its grant's id.
    if ((licenseKeyNamedBy(subject?.licenseId) ?? subject?.grantId) !== key) return false;
    if (subject?.licenseVersion !== undefined) {
      return (await ownVersions(key)).has(subject.licenseVersion);
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

// The cursor: base64url JSON `[time, id]` of the last event handed out — the same size for any
// number of licenses (the query string allows 4096 characters).
function encodeHistoryCursor(last: AuditEvent): string {
  return encodeJsonCursor([last.time, last.id]);
}

/** The position the page starts below; undefined for the first page. */
function decodeHistoryCursor(cursor: string | undefined): AuditPosition | undefined {
  if (cursor === undefined) return undefined;
  const parsed = decodeJsonCursor(cursor);
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !auditTime.safeParse(parsed[0]).success ||
    !auditEventId.safeParse(parsed[1]).success
  ) {
    throw new InvalidCursor('expected the position [time, id] of the last event of a page');
  }
  return { time: parsed[0] as string, id: parsed[1] as string };
}
