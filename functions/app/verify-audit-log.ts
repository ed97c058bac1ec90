import { type Checkpoint, checkpointHash, verifyCheckpoint } from '#core/audit/checkpoint.ts';
import { type AuditEvent, compareAuditEvents } from '#core/audit/event.ts';
import {
  type ArchivedForkFinding,
  type AuditFinding,
  archivedEventFindings,
  checkArchivedCheckpoint,
  verifyAuditRange,
} from '#core/audit/verify-range.ts';
import type { PublicJwk } from '#core/jws.ts';
import type { AuditLogReader, StoredAuditEvent } from '#ports/audit-log.ts';
import type { AuditPosition, AuditSealStore, SealedRange, SealHead } from '#ports/audit-seal-store.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';

// Verifying the audit log over a time range: the events as stored now against the sealed
// batches that cover them. Batches are checked whole, so the events read extend to the edges
// of the first and last batch touching the range. Events the sealer has not reached yet (after
// the head's position) are counted as pending, not judged: nothing has sealed them.

export interface AuditVerification {
  log: Pick<AuditLogReader, 'readStoredRange'>;
  seals: Pick<
    AuditSealStore,
    'readHead' | 'batchesCovering' | 'archivedCheckpointsBetween' | 'archivedCheckpoint' | 'archivedManifest'
  >;
  logId: string;
  /** The platform's checkpoint keys, current and retired, from a source the verifier trusts. */
  publicJwks: readonly PublicJwk[];
}

/**
 * A stored item that is not what it should be: an event item whose keys or copies disagree, or
 * a seal head or batch item that does not read back as one.
 */
export interface UnreadableItemFinding {
  kind: 'stored-item-unreadable';
  key: string;
  issues: readonly { path: string; message: string }[];
}

/**
 * A checkpoint in the write-once archive just past the head: a batch the sealer archived that the
 * tables no longer name — the head moved back over batches deleted with their events — or a
 * sealer that crashed between archiving and moving the head (the next run seals past it).
 */
export interface ArchivedBeyondHeadFinding {
  kind: 'archived-checkpoint-beyond-head';
  seq: number;
  checkpoints: string[];
}

export type AuditLogFinding =
  | AuditFinding
  | UnreadableItemFinding
  | ArchivedBeyondHeadFinding
  | ArchivedForkFinding;

export interface AuditLogReport {
  ok: boolean;
  logId: string;
  range: { from: string; to: string };
  /** The span actually read: the range widened to whole batches. */
  checked: { from: string; to: string };
  eventsChecked: number;
  batchesChecked: number;
  /** Events in the range that the sealer has not reached yet. */
  pendingEvents: number;
  sealedThrough: string | null;
  findings: AuditLogFinding[];
}

export class AuditRangeInvalid extends Error {
  readonly code = 'AUDIT_RANGE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'AuditRangeInvalid';
  }
}

const READ_PAGE = 1000;

export async function verifyAuditLog(
  input: { from: Date; to: Date },
  deps: AuditVerification,
): Promise<AuditLogReport> {
  const { from, to } = input;
  if (!Number.isFinite(from.getTime()) || !Number.isFinite(to.getTime()) || from >= to) {
    throw new AuditRangeInvalid(
      `expected a range whose start is before its end, found ${String(from)} to ${String(to)}`,
    );
  }
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  let head: SealHead;
  let covering: SealedRange;
  let later: SealHead;
  try {
    head = await deps.seals.readHead();
    covering = await deps.seals.batchesCovering({ from, to });
    later = await deps.seals.readHead();
  } catch (error) {
    if (!(error instanceof StoredItemInvalid)) throw error;
    // The head or a batch item is not what the sealer writes: evidence of tampering in itself,
    // and without it there is no chain to judge the range against.
    return {
      ok: false,
      logId: deps.logId,
      range: { from: fromIso, to: toIso },
      checked: { from: fromIso, to: toIso },
      eventsChecked: 0,
      batchesChecked: 0,
      pendingEvents: 0,
      sealedThrough: null,
      findings: [{ kind: 'stored-item-unreadable', key: error.key, issues: error.issues }],
    };
  }
  // The sealer may append while we read. Batches never change once appended, so the chain up to
  // the head read first is one consistent view: judge that, and leave out whole the batches
  // appended during the read — after that head, up to the head read after it. Their events lie
  // after the first head's position, so they count as pending below. A batch after even the
  // second head is not the sealer's doing (it moves the head in the same write) and stays in, to
  // be judged: a head moved back or deleted is found. (Re-reading the head until it stops moving
  // might never settle on a busy log.)
  // A batch item's `seq` is an unsigned copy anyone who can write the table may change: every
  // decision here goes by the seq its checkpoint signs. One whose checkpoint does not decode is
  // a finding of verifyAuditRange, and stays in to be judged.
  const appendedMeanwhile = (seq: number) => seq > (head.seq ?? -1) && seq <= (later.seq ?? -1);
  const batches = covering.batches.filter((b) => {
    const seq = signedBatch(b.checkpoint, deps.publicJwks)?.seq;
    return seq === undefined || !appendedMeanwhile(seq);
  });
  const { anchor } = covering;
  const successor = batches.length < covering.batches.length ? null : covering.successor;
  const first = batches[0];
  const last = batches[batches.length - 1];
  const lo = first !== undefined && first.firstEvent.time < fromIso ? new Date(first.firstEvent.time) : from;
  const hi =
    last !== undefined && last.lastEvent.time >= toIso ? new Date(Date.parse(last.lastEvent.time) + 1) : to;

  // Widening reads whole milliseconds, but a batch can end part way through one: the next batch
  // may start at the very time the first batch ends (or the last begins). Events of that time
  // outside both the range asked for and the batches' span belong to a batch not checked here;
  // any range holding their millisecond reads both batches and judges them.
  const outsideChecked = (stored: StoredAuditEvent): boolean =>
    (stored.time < fromIso && first !== undefined && compareAuditEvents(stored, first.firstEvent) < 0) ||
    (stored.time >= toIso && last !== undefined && compareAuditEvents(stored, last.lastEvent) > 0);

  const frontier = { through: head.through, lastEvent: head.lastEvent };
  const sealable: unknown[] = [];
  let pendingEvents = 0;
  const findings: AuditLogFinding[] = [];
  try {
    let cursor: string | undefined;
    do {
      const page = await deps.log.readStoredRange(
        { from: lo, to: hi },
        { limit: READ_PAGE, ...(cursor === undefined ? {} : { cursor }) },
      );
      for (const stored of page.items) {
        if (stored.unreadable !== undefined) {
          findings.push({ kind: 'stored-item-unreadable', ...stored.unreadable });
          continue;
        }
        if (outsideChecked(stored)) continue;
        if (beyondSealed(stored, frontier)) pendingEvents += 1;
        else sealable.push(stored.event);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  } catch (error) {
    if (!(error instanceof StoredItemInvalid)) throw error;
    // A reader that cannot read on past an item whose keys and copies disagree: the events
    // before it are still compared, and the item itself is a finding.
    findings.push({ kind: 'stored-item-unreadable', key: error.key, issues: error.issues });
  }

  const report = verifyAuditRange({
    logId: deps.logId,
    events: sealable,
    batches,
    publicJwks: deps.publicJwks,
    anchor,
  });
  findings.push(...report.findings);
  findings.push(...chainEndFindings(batches, anchor, successor, head, appendedMeanwhile, deps.publicJwks));
  findings.push(...(await archivedBeyondHead(later, deps.seals)));
  findings.push(
    ...(await archivedForks(deps, {
      fromSeq: forksFrom(first, anchor, deps.publicJwks),
      toSeq: later.seq ?? -1,
      chain: batches,
      range: { from: fromIso, to: toIso },
    })),
  );
  return {
    ok: findings.length === 0,
    logId: deps.logId,
    range: { from: fromIso, to: toIso },
    checked: { from: lo.toISOString(), to: hi.toISOString() },
    eventsChecked: report.eventsChecked,
    batchesChecked: report.batchesChecked,
    pendingEvents,
    sealedThrough: head.through,
    findings,
  };
}

/**
 * The chain must go on from the range's last batch — or, when no batch touches the range, from
 * the batch just before it (the anchor) — to the next batch's checkpoint when there is one, else
 * (or when batches were appended after the head was read) to the head. Without this, deleting
 * the last batch of a range, or every batch of it, together with its events would leave a
 * shorter or an empty range that verifies.
 */
function chainEndFindings(
  batches: readonly { checkpoint: string }[],
  anchor: string | null,
  successor: string | null,
  head: { seq: number | null; checkpoint: string | null },
  appendedMeanwhile: (seq: number) => boolean,
  publicJwks: readonly PublicJwk[],
): AuditFinding[] {
  const position = batches.length;
  const tail = signedBatch(batches.at(-1)?.checkpoint ?? anchor, publicJwks);
  // A checkpoint whose body does not even decode is a finding of verifyAuditRange already. One
  // appended during the read lies after the first head, and so does the whole range: pending.
  if (tail === undefined || (tail !== null && appendedMeanwhile(tail.seq))) return [];
  if (successor === null) {
    if (head.seq === (tail?.seq ?? null) && head.checkpoint === (tail?.checkpoint ?? null)) return [];
    return [
      {
        kind: 'checkpoint-sequence-gap',
        batch: position,
        expectedSeq: head.seq ?? -1,
        foundSeq: tail?.seq ?? -1,
      },
    ];
  }
  const next = verifyCheckpoint(successor, publicJwks);
  if (!next.ok) {
    return [
      {
        kind: 'checkpoint-bad-signature',
        batch: position,
        seq: next.body?.seq ?? null,
        failures: next.failures,
      },
    ];
  }
  const expectedSeq = tail === null ? 0 : tail.seq + 1;
  if (next.body.seq !== expectedSeq) {
    return [{ kind: 'checkpoint-sequence-gap', batch: position, expectedSeq, foundSeq: next.body.seq }];
  }
  const expected = tail === null ? null : checkpointHash(tail.checkpoint);
  if (next.body.previous !== expected) {
    return [
      {
        kind: 'checkpoint-chain-broken',
        batch: position,
        seq: next.body.seq,
        expected,
        found: next.body.previous,
      },
    ];
  }
  // Chained, and signed, but over events the chain had sealed already: a second history of them
  // (verifyAuditRange says the same of the batches it reads; this one lies past the range).
  const tailLast = tail?.lastEvent;
  if (tailLast !== undefined && compareAuditEvents(next.body.firstEvent, tailLast) <= 0) {
    return [
      {
        kind: 'checkpoint-overlap',
        batch: position,
        seq: next.body.seq,
        previousLastEvent: { id: tailLast.id, time: tailLast.time },
        firstEvent: { id: next.body.firstEvent.id, time: next.body.firstEvent.time },
      },
    ];
  }
  return [];
}

/**
 * The tables alone cannot show batches dropped from the end of the chain together with their
 * events and the head moved back: what is left is a shorter chain that verifies, and the dropped
 * events read as never written. The archive is write-once, so it still holds their checkpoints
 * — one at the next sequence number gives it away. A sealer archives before it moves the head:
 * one found is judged only if the head has not moved past it meanwhile.
 */
async function archivedBeyondHead(
  head: SealHead,
  seals: Pick<AuditSealStore, 'readHead' | 'archivedCheckpointsBetween'>,
): Promise<ArchivedBeyondHeadFinding[]> {
  const seq = (head.seq ?? -1) + 1;
  const checkpoints = (await seals.archivedCheckpointsBetween(seq, seq)).get(seq);
  if (checkpoints === undefined) return [];
  // The sealer's head write follows its archive write by milliseconds: give it a moment.
  for (const wait of HEAD_MOVE_WAITS_MS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (((await seals.readHead()).seq ?? -1) >= seq) return [];
  }
  return [{ kind: 'archived-checkpoint-beyond-head', seq, checkpoints }];
}

/**
 * The tables alone cannot show the chain's end dropped with its events and the head moved back
 * once the sealer has sealed past the gap again: the chain is whole, the events gone. The
 * write-once archive still holds the dropped batches, each at a sequence number where it now
 * holds the new one too. So every sequence number from the range's first batch to the head at
 * which the archive holds more than one checkpoint is looked at: each such batch (but the
 * chain's own in the range, judged above) must be one the sealer made, and, when its events
 * touch the range, every event it sealed must be in the log as sealed. Two sealer runs that raced
 * leave such a pair too (the loser archived before its head write failed); its events are all in
 * the log, so it is no finding. One listing of the archive over those sequence numbers, a read
 * of each forked checkpoint, and of the manifest and the log over its events' span when they
 * touch the range.
 */
async function archivedForks(
  deps: AuditVerification,
  window: {
    fromSeq: number;
    toSeq: number;
    chain: readonly { checkpoint: string }[];
    range: { from: string; to: string };
  },
): Promise<ArchivedForkFinding[]> {
  if (window.toSeq < window.fromSeq) return [];
  const judged = new Set(
    window.chain.map(
      (b) => `${signedBatch(b.checkpoint, deps.publicJwks)?.seq}/${checkpointHash(b.checkpoint)}`,
    ),
  );
  const forks = await deps.seals.archivedCheckpointsBetween(window.fromSeq, window.toSeq, {
    forksOnly: true,
  });
  const findings: ArchivedForkFinding[] = [];
  for (const [seq, hashes] of forks) {
    for (const hash of hashes) {
      if (judged.has(`${seq}/${hash}`)) continue;
      findings.push(
        ...(await judgeArchivedBatch(
          deps,
          { seq, hash },
          ({ firstEvent, lastEvent }) =>
            firstEvent.time < window.range.to && lastEvent.time >= window.range.from,
        )),
      );
    }
  }
  return findings;
}

/**
 * Where the look for forks begins: the range's first batch, else the one after the batch before
 * the range, else — with neither — the chain's start (a chain deleted whole and sealed again from
 * its origin forks at 0). An anchor that does not decode (a finding already) starts at 0 too.
 */
function forksFrom(
  first: { checkpoint: string } | undefined,
  anchor: string | null,
  publicJwks: readonly PublicJwk[],
): number {
  if (first !== undefined) return signedBatch(first.checkpoint, publicJwks)?.seq ?? 0;
  const before = signedBatch(anchor, publicJwks);
  return before ? before.seq + 1 : 0;
}

/** Most archived batches past the head one check reads: any one found wrong already alarms. */
const BEYOND_HEAD_BATCHES_JUDGED = 10;
/** How far past the head one check lists the archive (one LIST holds ≈ 330 batches). */
const BEYOND_HEAD_LOOKAHEAD = 1000;

/**
 * What a sealer run asks before it seals: the batches the write-once archive holds past its
 * chain's head, each judged as a verify judges a fork. A run that crashed between archiving and
 * moving the head, or one racing this one, leaves a batch there whose events are all in the log:
 * no finding. The chain's end dropped with its events and the head moved back leaves the dropped
 * batches there, their events gone: findings, before this run seals past them (after which only
 * a verify of their range finds them). The first few batches are read; one list of the archive
 * otherwise, nothing when it holds nothing past the head. `checked` counts the batches read,
 * `beyondHead` all found.
 */
export async function judgeArchivedBeyondHead(deps: {
  log: AuditVerification['log'];
  seals: Pick<
    AuditSealStore,
    'readHead' | 'archivedCheckpointsBetween' | 'archivedCheckpoint' | 'archivedManifest'
  >;
  logId: string;
  publicJwks: readonly PublicJwk[];
}): Promise<{
  beyondHead: number;
  checked: number;
  findings: (ArchivedForkFinding | ArchivedBeyondHeadFinding)[];
}> {
  const head = await deps.seals.readHead();
  const from = (head.seq ?? -1) + 1;
  const archived = await deps.seals.archivedCheckpointsBetween(from, from + BEYOND_HEAD_LOOKAHEAD - 1);
  // A run archives a batch and then moves the head before it archives the next, so no run leaves
  // anything further than one past the head (as read after the listing: a run racing this look
  // may have moved it meanwhile). Anything beyond that is the head moved back: a finding unread.
  const later = await deps.seals.readHead();
  const findings: (ArchivedForkFinding | ArchivedBeyondHeadFinding)[] = [];
  for (const [seq, checkpoints] of archived) {
    if (seq > (later.seq ?? -1) + 1)
      findings.push({ kind: 'archived-checkpoint-beyond-head', seq, checkpoints });
  }
  const all = [...archived].flatMap(([seq, hashes]) => hashes.map((hash) => ({ seq, hash })));
  const judged = all.slice(0, BEYOND_HEAD_BATCHES_JUDGED);
  for (const place of judged) findings.push(...(await judgeArchivedBatch(deps, place, () => true)));
  return { beyondHead: all.length, checked: judged.length, findings };
}

/**
 * One archived batch judged: the sealer's as filed (else a finding), and, when its events
 * `touch` what is judged, each of them in the log as sealed.
 */
async function judgeArchivedBatch(
  deps: Pick<AuditVerification, 'log' | 'logId' | 'publicJwks'> & {
    seals: Pick<AuditSealStore, 'archivedCheckpoint' | 'archivedManifest'>;
  },
  place: { seq: number; hash: string },
  touch: (body: Checkpoint) => boolean,
): Promise<ArchivedForkFinding[]> {
  const checkpoint = await deps.seals.archivedCheckpoint(place.seq, place.hash);
  if (checkpoint === undefined) return []; // listed a moment ago: the archive is write-once, so never
  const archived = { seq: place.seq, checkpointHash: place.hash, checkpoint };
  const checked = checkArchivedCheckpoint(archived, deps.logId, deps.publicJwks);
  if (!checked.ok) return [checked.finding];
  if (!touch(checked.body)) return []; // its manifest (up to megabytes) unread
  const { firstEvent, lastEvent } = checked.body;
  const span = { from: new Date(firstEvent.time), to: new Date(Date.parse(lastEvent.time) + 1) };
  const manifest = await deps.seals.archivedManifest(place.seq, place.hash);
  return archivedEventFindings(
    { ...archived, body: checked.body, manifest },
    await storedEventsOver(deps.log, span),
  );
}

/** The readable stored events of a span, as read back. */
async function storedEventsOver(
  log: AuditVerification['log'],
  span: { from: Date; to: Date },
): Promise<unknown[]> {
  const events: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.readStoredRange(span, {
      limit: READ_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const stored of page.items) if (stored.unreadable === undefined) events.push(stored.event);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return events;
}

/** How long (ms) to wait, before each look, for a head a sealer is moving past an archived batch. */
const HEAD_MOVE_WAITS_MS = [0, 250, 1000];

/**
 * A checkpoint as a batch of the chain at the seq its body signs (null: the chain's start, before
 * any); undefined when it does not decode.
 */
function signedBatch(
  checkpoint: string | null,
  publicJwks: readonly PublicJwk[],
): { seq: number; checkpoint: string; lastEvent: AuditPosition } | null | undefined {
  if (checkpoint === null) return null;
  const body = verifyCheckpoint(checkpoint, publicJwks).body;
  return body === undefined ? undefined : { seq: body.seq, checkpoint, lastEvent: body.lastEvent };
}

/** Whether the sealer has not reached this stored event yet (by its stored position). */
function beyondSealed(
  stored: StoredAuditEvent,
  frontier: { through: string | null; lastEvent: AuditPosition | null },
): boolean {
  if (frontier.through === null) return true;
  if (stored.time < frontier.through) return false;
  const position: Pick<AuditEvent, 'time' | 'id'> = { time: stored.time, id: stored.id };
  return frontier.lastEvent === null || compareAuditEvents(position, frontier.lastEvent) > 0;
}

/** One seal group's chain and where to read it (audit-seal-groups.ts). */
export interface AuditChainSource {
  logId: string;
  /** The log's events of this group's shards only. */
  log: Pick<AuditLogReader, 'readStoredRange'>;
  seals: AuditVerification['seals'];
}

/**
 * A chain never sealed while another chain of the log is, with events of its own in the range:
 * its group's sealer never ran, and nothing seals those events against change.
 */
export interface ChainNeverSealedFinding {
  kind: 'chain-never-sealed';
  /** The chain's events in the range, all unsealed. */
  pendingEvents: number;
}

/** A finding, naming the chain it was found in. */
export type AuditChainFinding = (AuditLogFinding | ChainNeverSealedFinding) & { logId: string };

/** One chain's verdict within a whole log's: its report with its findings counted, not repeated. */
export type AuditChainSummary = Omit<AuditLogReport, 'findings'> & { findings: number };

/** The verdict on a log sealed as several chains (seal groups): a range verifies when every chain's part of it does. */
export interface AuditLogGroupsReport {
  ok: boolean;
  range: { from: string; to: string };
  /** How many chains (seal groups) the log is sealed as. */
  sealGroups: number;
  eventsChecked: number;
  batchesChecked: number;
  /** Events in the range that their chain's sealer has not reached yet. */
  pendingEvents: number;
  /** The earliest of the chains' sealed positions; null while any chain was never sealed. */
  sealedThrough: string | null;
  findings: AuditChainFinding[];
  chains: AuditChainSummary[];
}

/**
 * Verifies a range of a log sealed as several chains, each chain against the events of its own
 * group: events of different groups share no chain, so each group's part of the range is judged
 * by itself and the range is intact when every part is.
 */
export async function verifyAuditLogGroups(
  input: { from: Date; to: Date },
  deps: { chains: readonly AuditChainSource[]; publicJwks: readonly PublicJwk[] },
): Promise<AuditLogGroupsReport> {
  if (deps.chains.length === 0) throw new AuditRangeInvalid('expected at least one chain to verify');
  const reports: AuditLogReport[] = [];
  for (const chain of deps.chains) {
    reports.push(await verifyAuditLog(input, { ...chain, publicJwks: deps.publicJwks }));
  }
  const throughs = reports.map((r) => r.sealedThrough);
  // With one chain, none sealed is a log not sealed yet; with several, a chain left behind by
  // the others is a sealer that never ran for its group (or a head deleted without trace).
  const neverSealed: AuditChainFinding[] = throughs.every((t) => t === null)
    ? []
    : reports
        .filter((r) => r.sealedThrough === null && r.pendingEvents > 0)
        .map((r) => ({ kind: 'chain-never-sealed', pendingEvents: r.pendingEvents, logId: r.logId }));
  const findings = [
    ...reports.flatMap((r) => r.findings.map((f) => ({ ...f, logId: r.logId }))),
    ...neverSealed,
  ];
  return {
    ok: findings.length === 0,
    range: reports[0]!.range,
    sealGroups: reports.length,
    eventsChecked: sum(reports.map((r) => r.eventsChecked)),
    batchesChecked: sum(reports.map((r) => r.batchesChecked)),
    pendingEvents: sum(reports.map((r) => r.pendingEvents)),
    sealedThrough: throughs.includes(null) ? null : (throughs as string[]).sort()[0]!,
    findings,
    chains: reports.map(({ findings: found, ...report }) => ({
      ...report,
      findings: findings.filter((f) => f.logId === report.logId).length,
    })),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
