import { AUDIT_SHARDS } from './audit-items.ts';

// Seal groups: the audit log is sealed as G chains, not one. One chain is sealed by one run at
// a time, batch after batch, so its pace is one core's (≈ 9,000–12,000 events/s sustained on a
// whole vCPU, docs/data-model.md) — below the 15,000 events/s the design's peak writes. The
// AUDIT_SHARDS shards of every hour are dealt out to G groups (shard s to group s mod G); each
// group is its own chain — its head, batches and archive prefix under its own log id — sealed by
// its own scheduled run, in parallel with the others. A verifier checks every group's chain:
// events of different groups share no chain and no one order, and a range verifies when each
// group's part of it does.
//
// G is part of the layout, like AUDIT_SHARDS: it names the chains. G = 1 keeps the one chain
// of old, under its old log id. G is fixed once a stage has sealed: a chain's first run refuses
// to start beside chains of another count (AuditSealLayoutChanged, app/seal-audit-log.ts).

/** The seal-group counts a stage may choose: divisors of AUDIT_SHARDS, so every group holds as many shards. */
export const AUDIT_SEAL_GROUP_COUNTS = [1, 2, 4, 8, 16, 32] as const;
export type AuditSealGroupCount = (typeof AUDIT_SEAL_GROUP_COUNTS)[number];

/** The environment variable that gives functions, the local platform and the CLI the stage's G. */
export const AUDIT_SEAL_GROUPS_ENV = 'ELICENSE_AUDIT_SEAL_GROUPS';

export interface AuditSealGroup {
  /** 0 … count − 1. */
  index: number;
  count: AuditSealGroupCount;
  /** The chain's log id: in every checkpoint it signs, its head's key and its archive prefix. */
  logId: string;
  /** The audit shards whose events this chain seals, ascending. */
  shards: readonly number[];
}

export function isAuditSealGroupCount(value: number): value is AuditSealGroupCount {
  return (AUDIT_SEAL_GROUP_COUNTS as readonly number[]).includes(value);
}

/** Every seal group of a stage's audit log, in index order. */
export function auditSealGroups(stage: string, count: AuditSealGroupCount): AuditSealGroup[] {
  return Array.from({ length: count }, (_, index) => auditSealGroup(stage, index, count));
}

/** One seal group; a RangeError for an index outside 0 … count − 1 or a count not offered. */
export function auditSealGroup(stage: string, index: number, count: number): AuditSealGroup {
  if (!isAuditSealGroupCount(count)) {
    throw new RangeError(
      `expected a seal-group count of ${AUDIT_SEAL_GROUP_COUNTS.join(', ')}, found ${count}`,
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`expected a seal group from 0 to ${count - 1}, found ${index}`);
  }
  const shards: number[] = [];
  for (let s = index; s < AUDIT_SHARDS; s += count) shards.push(s);
  return { index, count, logId: auditLogIdOf(stage, index, count), shards };
}

/** The log id of one chain: the stage's one log for G = 1, else `…-audit-g<index>of<G>`. */
export function auditLogIdOf(stage: string, index = 0, count = 1): string {
  return count === 1 ? `elicense-${stage}-audit` : `elicense-${stage}-audit-g${index}of${count}`;
}

/** The seal-group count a log id of the stage names; undefined for any other id. */
export function auditSealGroupCountOf(stage: string, logId: string): AuditSealGroupCount | undefined {
  return AUDIT_SEAL_GROUP_COUNTS.find((count) =>
    auditSealGroups(stage, count).some((group) => group.logId === logId),
  );
}

/** G from the environment: 1 when unset; an Error naming the variable for anything else not offered. */
export function parseAuditSealGroupCount(raw: string | undefined): AuditSealGroupCount {
  if (raw === undefined || raw === '') return 1;
  const count = /^\d{1,2}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!isAuditSealGroupCount(count)) {
    throw new Error(
      `invalid environment — ${AUDIT_SEAL_GROUPS_ENV}: expected one of ${AUDIT_SEAL_GROUP_COUNTS.join(', ')}, found '${raw}'`,
    );
  }
  return count;
}

/**
 * The seal group a sealer invocation names: `{"group": k}`, as each group's schedule rule sends.
 * EventBridge's own scheduled event, naming no group, is the one rule of a stage deployed before
 * seal groups, still firing while an update replaces it: group 0 when there is one group, else
 * undefined — nothing to seal, since which group it meant is unknown (each group's own rule
 * fires too). Anything else is a misconfigured rule, an Error that fails the run (and lands in
 * its queue).
 */
export function sealGroupOfInvocation(event: unknown, count: number): number | undefined {
  const { group, source, 'detail-type': detailType } = (event ?? {}) as Record<string, unknown>;
  if (group === undefined && source === 'aws.events' && detailType === 'Scheduled Event') {
    return count === 1 ? 0 : undefined;
  }
  if (typeof group !== 'number' || !Number.isInteger(group) || group < 0 || group >= count) {
    const found = JSON.stringify(event) ?? String(event);
    throw new Error(
      `expected a sealer invocation {"group": k} with k from 0 to ${count - 1} (${AUDIT_SEAL_GROUPS_ENV}=${count}), found ${found.length > 80 ? `${found.slice(0, 77)}...` : found}`,
    );
  }
  return group;
}
