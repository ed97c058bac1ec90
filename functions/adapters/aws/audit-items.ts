import { canonicalEventBytes } from '#core/audit/canonical.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { licenseKeyNamedBy } from '#core/license-key.ts';
import { stableShard } from '#core/stable-shard.ts';
import type { TransactItem } from './transact-write.ts';

// Layout of the `audit` table, shared by the writers (the license repository writes events in
// the same transaction as the change they record) and the readers (audit log, sealer):
//
//   pk  A#<yyyyMMddHH>#<shard>         hour of the event's time (UTC) + the shard, two digits:
//                                      stableShard(event id, AUDIT_SHARDS)
//   sk  <time, RFC 3339 UTC with ms>#<event id>
//   id, time, action                   copied out of the event for queries and filters
//   event                              the AuditEvent as RFC 8785 canonical JSON text — the exact
//                                      bytes the sealer hashes, so a reader never re-serialises
//   licenseKey                         when the event's subject names a license: its identifier
//                                      without version and check (for per-license history);
//                                      naming only a grant: G#<grant id> (byLicenseKeyOf)
//
// Why the shard: a bulk issuance writes thousands of events a second, all in the same hour; one
// partition per hour would cap that at 1,000 WCU. 32 shards per hour take 32,000 WCU
// (≈ 16,000 transactional event writes/s of ≤ 1 KB): 10,000 audited retrievals/s — all the
// traffic API Gateway admits by default — at about 60 % of the partitions' limit (see
// docs/data-model.md). A reader of an hour queries the 32 partitions and merges by sk, which
// is time order. Events are written with attribute_not_exists,
// so an event is recorded once and never replaced.

/** Partitions per hour bucket. Changing it changes where readers look: it is part of the layout. */
export const AUDIT_SHARDS = 32;

const decoder = new TextDecoder();

export interface AuditItem {
  pk: string;
  sk: string;
  id: string;
  time: string;
  action: string;
  event: string;
  licenseKey?: string;
}

/** `yyyyMMddHH` of an RFC 3339 UTC time such as the event's `time`. */
export function auditHourBucket(time: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):/.exec(time);
  if (match === null || !time.endsWith('Z')) {
    throw new RangeError(`expected an RFC 3339 UTC time like 2025-03-01T08:00:00.000Z, found '${time}'`);
  }
  return `${match[1]}${match[2]}${match[3]}${match[4]}`;
}

/** The partition an event lives in. */
export function auditPartitionKey(time: string, eventId: string): string {
  return `A#${auditHourBucket(time)}#${String(stableShard(eventId, AUDIT_SHARDS)).padStart(2, '0')}`;
}

/**
 * The partitions of an hour bucket (`yyyyMMddHH`) for a reader that merges them: every shard's,
 * or those of the shards given (a seal group's).
 */
export function auditPartitionKeys(hourBucket: string, shards?: readonly number[]): string[] {
  if (!/^\d{10}$/.test(hourBucket)) {
    throw new RangeError(`expected an hour bucket yyyyMMddHH, found '${hourBucket}'`);
  }
  const partition = (s: number) => `A#${hourBucket}#${String(s).padStart(2, '0')}`;
  return shards === undefined
    ? Array.from({ length: AUDIT_SHARDS }, (_, s) => partition(s))
    : shards.map(partition);
}

/** The item of an event; validates it (AuditEventInvalid) and canonicalises it. */
export function auditItem(event: AuditEvent): AuditItem {
  const canonical = decoder.decode(canonicalEventBytes(event));
  const licenseKey = byLicenseKeyOf(event.subject);
  return {
    pk: auditPartitionKey(event.time, event.id),
    sk: `${event.time}#${event.id}`,
    id: event.id,
    time: event.time,
    action: event.action,
    event: canonical,
    ...(licenseKey === undefined ? {} : { licenseKey }),
  };
}

/**
 * The transaction action that records an event next to the change it audits: validated
 * (AuditEventInvalid) before anything is sent, and conditional on the event being new.
 */
export function auditPut(table: string, event: AuditEvent): TransactItem {
  return {
    Put: { TableName: table, Item: auditItem(event), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/**
 * The by-license index key of an event: its license's key; for an event that names a grant but
 * no license (a type-scoped grant's creation and revocation, a retrieval under it that met no
 * license) the grant's, so its holder's history finds those too.
 */
export function byLicenseKeyOf(subject: AuditEvent['subject']): string | undefined {
  const licenseKey = licenseKeyNamedBy(subject?.licenseId);
  if (licenseKey !== undefined || subject?.grantId === undefined) return licenseKey;
  return byGrantKey(subject.grantId);
}

/** The by-license index key under which a grant's own events (naming no license) are found. */
export function byGrantKey(grantId: string): string {
  return `G#${grantId}`;
}
