import { checkpointBody, sealBatch } from '#core/audit/checkpoint.ts';
import { type AuditEvent, compareAuditEvents } from '#core/audit/event.ts';
import type { AuditLogReader } from '#ports/audit-log.ts';
import type { AuditPosition, AuditSealStore, SealHead } from '#ports/audit-seal-store.ts';
import type { SigningKeys } from '#ports/signer.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';

// Sealing the audit log: every event that has settled and is not yet sealed is cut into
// batches in seal order, each batch sealed into a checkpoint signed with the platform key and
// chained to the one before, and appended to the seal store.
//
// A run seals until it is caught up or its time budget is spent, so a backlog is worked off as
// fast as one sealer can go rather than a fixed number of batches a minute; batches grow while
// they fill. One chain is sealed by one run at a time, batch after batch: its throughput is the
// ceiling of that chain (bench/audit-sealing.bench.ts measures the core's part of it); a log
// sealed as several chains (seal groups, adapters/aws/audit-seal-groups.ts) runs this once per
// chain, side by side, each reading only its group's events.
//
// The settle window: writers stamp an event's time when they build it and write it a moment
// later, so an event can land slightly in the past — at most the life of the request that
// writes it (API Gateway ends every integration at 29 s). Sealing only events older than the
// window (60 s by default) means no event can still appear behind the sealed position; one that
// does (a writer slower than the window) is never sealed and `audit verify` reports it as
// inserted, which is what an event appearing after the fact looks like.

export interface AuditSealing {
  log: Pick<AuditLogReader, 'readRange'>;
  seals: AuditSealStore;
  keys: Pick<SigningKeys, 'platformKey'>;
  logId: string;
  now: () => Date;
  /** Events younger than this are left for a later run. */
  settleSeconds: number;
  /** Most events in a run's first batch (one checkpoint, one Merkle tree). */
  batchSize: number;
  /**
   * Most events in any batch: each batch that fills doubles the next one's size up to this, so
   * a backlog is sealed in large batches — one signature, three archive objects and one
   * transaction for many events — while a caught-up log keeps small ones, which a verifier of
   * a short range reads whole.
   */
  maxBatchSize: number;
  /**
   * The run's time budget on `now`: no batch is begun after it is spent, so a run ends a
   * batch's time after it, before the next scheduled run starts. At least one batch is sealed.
   */
  runSeconds: number;
  /** Most batches one run seals, whatever the clock says: a safety net behind the budget. */
  maxBatchesPerRun: number;
  /**
   * Where a log that was never sealed starts, given the time of the first run: the sealer
   * reads from there. Events older than it are never sealed (by this chain).
   */
  origin: (now: Date) => Date | Promise<Date>;
}

export interface SealedBatchSummary {
  seq: number;
  events: number;
  firstEvent: AuditPosition;
  lastEvent: AuditPosition;
}

export interface SealRun {
  batches: SealedBatchSummary[];
  /** Events before this time are sealed (or were absent when the sealer read). */
  through: string | null;
  /** Age in seconds of the oldest event not yet sealed; 0 when every event is sealed. */
  lagSeconds: number;
  /** False when the run stopped with settled events left (see `stopped`). */
  complete: boolean;
  /** Why the run ended: every settled event sealed, its time budget spent, or its batch cap reached. */
  stopped: 'caught-up' | 'time-budget' | 'batch-cap';
}

export class AuditSealingMisconfigured extends Error {
  readonly code = 'AUDIT_SEALING_MISCONFIGURED';
  constructor(message: string) {
    super(message);
    this.name = 'AuditSealingMisconfigured';
  }
}

const READ_PAGE = 1000;

/**
 * How far the sealed position may lie ahead of this clock before that is an error. A run writes
 * `through` a settle window behind its own clock, so a later `through` than now means a clock
 * that ran ahead by more than that window, or an edited table; NTP-synced hosts differ by far
 * less than this allowance.
 */
const CLOCK_SKEW_ALLOWANCE_MS = 10_000;

/**
 * The sealed position is later than now. Nothing is sealed until the clock reaches it, and the
 * lag would read 0: so it is an error — a failed sealer run, a degraded health check — not quiet.
 */
export class AuditSealHeadAhead extends Error {
  readonly code = 'AUDIT_SEAL_HEAD_AHEAD';
  constructor(through: string, now: Date) {
    super(
      `the audit seal head's through (${through}) is ${Math.round((Date.parse(through) - now.getTime()) / 1000)} s ahead of the clock (${now.toISOString()}): a clock ran ahead or the audit-seals table was edited; nothing is sealed until the clock reaches it`,
    );
    this.name = 'AuditSealHeadAhead';
  }
}

function refuseHeadAhead(through: string | null, now: Date): void {
  if (through !== null && Date.parse(through) > now.getTime() + CLOCK_SKEW_ALLOWANCE_MS) {
    throw new AuditSealHeadAhead(through, now);
  }
}

/**
 * The head's unsigned copies (`seq`, `lastEvent`, `through`) disagree with its signed checkpoint.
 * Sealing on from them would skip events (a `lastEvent` moved ahead: lag 0, nothing sealed) or
 * have the platform key seal sealed events again as rewritten (a position moved back): so it is
 * an error — a failed sealer run, a degraded health check — until the head is put back.
 */
export class AuditSealHeadMismatch extends Error {
  readonly code = 'AUDIT_SEAL_HEAD_MISMATCH';
  constructor(detail: string) {
    super(
      `the audit seal head disagrees with its signed checkpoint: ${detail}; the audit-seals table was edited: nothing is sealed until the head is put back as its checkpoint says`,
    );
    this.name = 'AuditSealHeadMismatch';
  }
}

/**
 * Where the chain ends, by its signed checkpoint: events at or before it are sealed. Rejects
 * with AuditSealHeadMismatch when the head's own copies say otherwise.
 */
function sealedEnd(head: SealHead): AuditPosition | null {
  const found = `seq ${head.seq}, lastEvent ${JSON.stringify(head.lastEvent)}, through ${head.through}`;
  if (head.checkpoint === null) {
    if (head.seq !== null || head.lastEvent !== null)
      throw new AuditSealHeadMismatch(
        `expected no seq and no lastEvent without a checkpoint, found ${found}`,
      );
    return null;
  }
  const body = checkpointBody(head.checkpoint);
  if (body === undefined)
    throw new AuditSealHeadMismatch('expected its checkpoint to decode as one, found not');
  const { lastEvent } = body;
  if (
    head.seq !== body.seq ||
    head.lastEvent === null ||
    compareAuditEvents(head.lastEvent, lastEvent) !== 0 ||
    head.through === null ||
    head.through < lastEvent.time
  ) {
    throw new AuditSealHeadMismatch(
      `expected seq ${body.seq}, lastEvent ${JSON.stringify({ time: lastEvent.time, id: lastEvent.id })} and through at or after ${lastEvent.time} as signed, found ${found}`,
    );
  }
  return lastEvent;
}

/** Refuses a head ahead of the clock or at odds with its checkpoint; the chain's signed end. */
function checkHead(head: SealHead, now: Date): AuditPosition | null {
  refuseHeadAhead(head.through, now);
  return sealedEnd(head);
}

/**
 * Seals what has settled since the last run. Rejects with SealChainMoved when another sealer
 * appended first; the batches this run appended before that stay sealed. Rejects, sealing
 * nothing, with AuditSealHeadAhead when the sealed position is ahead of the clock, and with
 * AuditSealHeadMismatch when the head disagrees with its signed checkpoint.
 */
export async function sealAuditLog(deps: AuditSealing): Promise<SealRun> {
  checkSettings(deps);
  const now = deps.now();
  const upTo = new Date(now.getTime() - deps.settleSeconds * 1000).toISOString();
  let head = await deps.seals.readHead();
  // Skipped up to the signed end, never the head's unsigned copy of it.
  const sealedBefore = checkHead(head, now);
  const start = head.through ?? (await deps.origin(now)).toISOString();
  const batches: SealedBatchSummary[] = [];
  let pending: AuditEvent[] = [];
  let size = deps.batchSize;
  let stopped: SealRun['stopped'] = 'caught-up';
  const budgetEnds = now.getTime() + deps.runSeconds * 1000;
  /** Why no further batch may begin, if one may not. */
  const stopBeforeNextBatch = (): SealRun['stopped'] | undefined => {
    if (batches.length >= deps.maxBatchesPerRun) return 'batch-cap';
    if (deps.now().getTime() >= budgetEnds) return 'time-budget';
    return undefined;
  };

  const seal = async (events: AuditEvent[], through: string): Promise<void> => {
    const { signer } = await deps.keys.platformKey();
    const sealed = await sealBatch(
      {
        logId: deps.logId,
        seq: head.seq === null ? 0 : head.seq + 1,
        events,
        previous: head.checkpoint,
        sealedAt: deps.now(),
      },
      signer,
    );
    head = await deps.seals.append({ expected: head, batch: { sealed }, through });
    batches.push({
      seq: sealed.body.seq,
      events: events.length,
      firstEvent: sealed.body.firstEvent,
      lastEvent: sealed.body.lastEvent,
    });
  };

  if (start < upTo) {
    const range = { from: new Date(start), to: new Date(upTo) };
    let cursor: string | undefined;
    read: do {
      const page = await deps.log.readRange(range, {
        limit: Math.min(READ_PAGE, deps.maxBatchSize),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const event of page.items) {
        if (sealedBefore !== null && compareAuditEvents(event, sealedBefore) <= 0) continue;
        if (pending.length === 0 && batches.length > 0) {
          const stop = stopBeforeNextBatch();
          if (stop !== undefined) {
            stopped = stop;
            break read;
          }
        }
        pending.push(event);
        if (pending.length === size) {
          // Events at this batch's last time may follow in the next: `through` stays at that time.
          await seal(pending, event.time);
          pending = [];
          // A full batch means more is waiting: a larger one spreads the per-batch cost further.
          size = Math.min(size * 2, deps.maxBatchSize);
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (stopped === 'caught-up') {
      if (pending.length > 0) await seal(pending, upTo);
      else head = await deps.seals.append({ expected: head, through: upTo });
    }
  }

  return {
    batches,
    through: head.through,
    lagSeconds: await oldestUnsealedAge(deps, head, now),
    complete: stopped === 'caught-up',
    stopped,
  };
}

/** Seconds since the oldest event after the sealed position was stamped; 0 when there is none. */
async function oldestUnsealedAge(deps: AuditSealing, head: SealHead, now: Date): Promise<number> {
  if (head.through === null || head.through >= now.toISOString()) return 0;
  const range = { from: new Date(head.through), to: now };
  let cursor: string | undefined;
  do {
    const page = await deps.log.readRange(range, { limit: 16, ...(cursor === undefined ? {} : { cursor }) });
    const oldest = page.items.find(
      (event) => head.lastEvent === null || compareAuditEvents(event, head.lastEvent) > 0,
    );
    if (oldest !== undefined) return Math.max(0, (now.getTime() - Date.parse(oldest.time)) / 1000);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return 0;
}

function checkSettings(deps: AuditSealing): void {
  const problems: string[] = [];
  if (!(Number.isFinite(deps.settleSeconds) && deps.settleSeconds >= 0))
    problems.push(`settleSeconds ≥ 0, found ${deps.settleSeconds}`);
  if (!(Number.isInteger(deps.batchSize) && deps.batchSize >= 1))
    problems.push(`batchSize a positive integer, found ${deps.batchSize}`);
  if (!(Number.isInteger(deps.maxBatchSize) && deps.maxBatchSize >= deps.batchSize))
    problems.push(`maxBatchSize an integer ≥ batchSize (${deps.batchSize}), found ${deps.maxBatchSize}`);
  if (!(Number.isFinite(deps.runSeconds) && deps.runSeconds >= 0))
    problems.push(`runSeconds ≥ 0, found ${deps.runSeconds}`);
  if (!(Number.isInteger(deps.maxBatchesPerRun) && deps.maxBatchesPerRun >= 1))
    problems.push(`maxBatchesPerRun a positive integer, found ${deps.maxBatchesPerRun}`);
  if (problems.length > 0) throw new AuditSealingMisconfigured(`expected ${problems.join('; ')}`);
}

/**
 * Seconds since the sealed position (`through`) of the chain furthest behind, null while no
 * chain has been sealed: one read a chain, for the health check. It bounds the age of any
 * unsealed event from above (they are all younger), and keeps growing when a group's sealer
 * stops running, even while no events arrive. A chain never sealed while others are counts
 * from the earliest start of those (its runs should have begun with theirs): a group whose rule
 * never ran is behind, not unknown. Rejects with AuditSealHeadAhead when a position is ahead of
 * the clock, and with AuditSealHeadMismatch when a head disagrees with its signed checkpoint.
 */
export async function auditSealLagSeconds(deps: {
  /** Every seal group's chain (one for a log of one group). */
  seals: readonly Pick<AuditSealStore, 'readHead'>[];
  now: () => Date;
}): Promise<number | null> {
  if (deps.seals.length === 0) throw new AuditSealingMisconfigured('expected at least one seal group');
  const heads = await Promise.all(deps.seals.map((seals) => seals.readHead()));
  const now = deps.now();
  for (const head of heads) checkHead(head, now);
  return chainsLagSeconds(heads, now.getTime(), 0);
}

/**
 * The lag a sealer run reports: its own group's (the age of its oldest unsealed event), or the
 * lag of another group's chain if that is longer — the time since its sealed position less the
 * settle window (a chain sealed a minute ago is a minute behind, not a minute and the window),
 * and for a chain never sealed while others are, the time since the earliest of their starts
 * less the window — so a group whose runs stopped, or never began, shows in the lag every other
 * group's runs report. A chain whose head cannot be read, lies ahead of the clock or disagrees
 * with its checkpoint, is left to
 * its own runs (which fail) and the health check: it must not fail this run, which has sealed.
 */
export async function reportedSealLagSeconds(
  run: Pick<SealRun, 'lagSeconds'>,
  deps: { seals: readonly Pick<AuditSealStore, 'readHead'>[]; now: () => Date; settleSeconds: number },
): Promise<number> {
  const read = await Promise.all(deps.seals.map((seals) => seals.readHead().catch(() => undefined)));
  const clock = deps.now();
  const now = clock.getTime();
  const heads = read.filter((head): head is SealHead => {
    if (head === undefined) return false;
    try {
      checkHead(head, clock);
      return true;
    } catch {
      return false;
    }
  });
  return Math.max(run.lagSeconds, chainsLagSeconds(heads, now, deps.settleSeconds) ?? 0);
}

/** Seconds the chain furthest behind is behind (see auditSealLagSeconds), less `settleSeconds`; null when none is sealed. */
function chainsLagSeconds(heads: readonly SealHead[], nowMs: number, settleSeconds: number): number | null {
  const sealed = heads.filter((head) => head.through !== null);
  if (sealed.length === 0) return null;
  const since = (time: string) => Math.max(0, (nowMs - Date.parse(time)) / 1000 - settleSeconds);
  let lag = 0;
  for (const head of sealed) lag = Math.max(lag, since(head.through!));
  if (sealed.length < heads.length) {
    const earliest = sealed.map((head) => head.started ?? head.through!).sort()[0]!;
    lag = Math.max(lag, since(earliest));
  }
  return lag;
}

/**
 * The stage's seal-group count changed after it sealed: chains of another count hold the log
 * before. Refused rather than started, since two layouts would each seal part of the same events
 * and a verifier could no longer read one of them over a range (changing the count is a migration
 * not built: docs/data-model.md). The first run of every new chain fails with it, alarmed.
 */
export class AuditSealLayoutChanged extends Error {
  readonly code = 'AUDIT_SEAL_LAYOUT_CHANGED';
  constructor(count: number, others: readonly number[]) {
    super(
      `the stage is configured for ${count} seal groups, but its log is sealed as ${others.join(' and ')}: a stage's seal-group count is fixed once it has sealed; set auditSealGroups back to ${others.join(' or ')}`,
    );
    this.name = 'AuditSealLayoutChanged';
  }
}

/**
 * Which other seal-group layouts have sealed events — a chain with a batch, or a head that does
 * not read back as one (evidence either way) — for a chain's first run to refuse starting beside
 * them. A chain whose runs met no event yet has sealed nothing and holds no count in place. Any
 * other error reading a head rejects: the run fails and the next one asks again.
 */
export async function sealedLayoutsBesides<Count extends number>(
  otherLayouts: readonly { count: Count; chains: readonly Pick<AuditSealStore, 'readHead'>[] }[],
): Promise<Count[]> {
  const sealed = await Promise.all(
    otherLayouts.map(async ({ chains }) => {
      const heads = await Promise.all(
        chains.map((seals) =>
          seals.readHead().catch((error: unknown) => {
            if (error instanceof StoredItemInvalid) return undefined;
            throw error;
          }),
        ),
      );
      return heads.some((head) => head === undefined || head.seq !== null);
    }),
  );
  return otherLayouts.filter((_, i) => sealed[i]).map(({ count }) => count);
}
