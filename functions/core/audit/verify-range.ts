import { base64url, type PublicJwk } from '../jws.ts';
import { canonicalJsonBytes } from './canonical.ts';
import {
  type Checkpoint,
  type CheckpointFailure,
  checkpointHash,
  manifestLeafHash,
  type SealedLeaf,
  verifyCheckpoint,
} from './checkpoint.ts';
import { compareAuditEvents } from './event.ts';
import { type Hash, leafHash, rootHash } from './merkle.ts';

// Batch verification: compares the events as stored (the mutable, queryable copy) with the sealed
// evidence (checkpoints and manifests, kept write-once) and names every difference.

export interface SealedBatchEvidence {
  checkpoint: string;
  manifest: readonly SealedLeaf[];
}

export interface VerifyAuditRangeInput {
  logId: string;
  /** Stored events as read back, in stored order; not validated, hashed exactly as they are. */
  events: readonly unknown[];
  /** The sealed batches covering those events, in ascending seq order, whole batches only. */
  batches: readonly SealedBatchEvidence[];
  /** Checkpoint keys, current and retired, found by `kid`. */
  publicJwks: readonly PublicJwk[];
  /**
   * The checkpoint just before the first batch (verified, and its hash must be the first
   * batch's `previous`), or null when the range starts at the log's first batch (seq 0).
   * Without it, a whole batch dropped at the start of the range could not be noticed.
   */
  anchor: string | null;
}

/** A position in seal order: batch seq and leaf index in that batch's tree. */
export interface SealedPosition {
  seq: number;
  leafIndex: number;
}

export type AuditFinding =
  /** The checkpoint's signature does not verify, or its key or alg is not one we accept. */
  | { kind: 'checkpoint-bad-signature'; batch: number; seq: number | null; failures: CheckpointFailure[] }
  /** The checkpoint is not a well-formed checkpoint JWS (format, typ, body). */
  | { kind: 'checkpoint-malformed'; batch: number; seq: number | null; failures: CheckpointFailure[] }
  | { kind: 'checkpoint-wrong-log'; batch: number; seq: number; expected: string; found: string }
  /** Batches are missing, repeated or out of order between two checkpoints. */
  | { kind: 'checkpoint-sequence-gap'; batch: number; expectedSeq: number; foundSeq: number }
  /** The checkpoint's `previous` is not the hash of the checkpoint before it. */
  | {
      kind: 'checkpoint-chain-broken';
      batch: number;
      seq: number;
      expected: string | null;
      found: string | null;
    }
  /**
   * The batch's signed first event is not after the signed last event of the checkpoint before it
   * (the anchor included): events sealed again, a second history of them signed.
   */
  | {
      kind: 'checkpoint-overlap';
      batch: number;
      seq: number;
      previousLastEvent: { id: string; time: string };
      firstEvent: { id: string; time: string };
    }
  /** The manifest does not reproduce the signed checkpoint (root, size, first or last event). */
  | { kind: 'manifest-mismatch'; batch: number; seq: number; detail: string }
  | ({ kind: 'event-changed'; eventId: string; storedPosition: number } & SealedPosition)
  | ({ kind: 'event-dropped'; eventId: string; time: string } & SealedPosition)
  /** One event id in two leaves: sealed twice (the stored event is judged against the first). */
  | ({ kind: 'event-sealed-twice'; eventId: string; first: SealedPosition } & SealedPosition)
  | { kind: 'event-inserted'; eventId: string | null; storedPosition: number; detail: string }
  | ({
      kind: 'event-reordered';
      eventId: string;
      storedPosition: number;
      sealedRank: number;
    } & SealedPosition);

export type AuditFindingKind = AuditFinding['kind'];

export interface AuditRangeReport {
  ok: boolean;
  findings: AuditFinding[];
  eventsChecked: number;
  batchesChecked: number;
}

interface SealedEntry extends SealedPosition {
  id: string;
  time: string;
  hash: string;
  /** Position in the concatenated seal order of all batches given. */
  rank: number;
  seen: boolean;
}

/** Verifies a range of stored audit events against its sealed batches; every difference is a finding. */
export function verifyAuditRange(input: VerifyAuditRangeInput): AuditRangeReport {
  const findings: AuditFinding[] = [];
  const sealed = checkBatches(input, findings);
  checkEvents(input.events, sealed, findings);
  return {
    ok: findings.length === 0,
    findings,
    eventsChecked: input.events.length,
    batchesChecked: input.batches.length,
  };
}

function checkBatches(input: VerifyAuditRangeInput, findings: AuditFinding[]): SealedEntry[] {
  const entries: SealedEntry[] = [];
  let previousSeq: number | null = null;
  let previousHash: string | null = null;
  let previousLast: Checkpoint['lastEvent'] | null = null;

  if (input.anchor !== null) {
    const anchor = verifyCheckpoint(input.anchor, input.publicJwks);
    if (!anchor.ok) report(findings, -1, anchor.body?.seq ?? null, anchor.failures);
    previousSeq = anchor.body?.seq ?? null;
    previousHash = checkpointHash(input.anchor);
    previousLast = anchor.body?.lastEvent ?? null;
  }

  input.batches.forEach((batch, index) => {
    const verified = verifyCheckpoint(batch.checkpoint, input.publicJwks);
    if (!verified.ok) report(findings, index, verified.body?.seq ?? null, verified.failures);
    const body = verified.body;
    const seq = body?.seq ?? (previousSeq === null ? index : previousSeq + 1);

    if (body !== undefined) {
      if (body.logId !== input.logId) {
        findings.push({
          kind: 'checkpoint-wrong-log',
          batch: index,
          seq,
          expected: input.logId,
          found: body.logId,
        });
      }
      const expectedSeq = previousSeq === null ? (input.anchor === null ? 0 : body.seq) : previousSeq + 1;
      if (body.seq !== expectedSeq) {
        findings.push({ kind: 'checkpoint-sequence-gap', batch: index, expectedSeq, foundSeq: body.seq });
      }
      const expectedPrevious = index === 0 && input.anchor === null ? null : previousHash;
      if (body.previous !== expectedPrevious) {
        findings.push({
          kind: 'checkpoint-chain-broken',
          batch: index,
          seq,
          expected: expectedPrevious,
          found: body.previous,
        });
      }
      if (previousLast !== null && compareAuditEvents(body.firstEvent, previousLast) <= 0) {
        findings.push({
          kind: 'checkpoint-overlap',
          batch: index,
          seq,
          previousLastEvent: { id: previousLast.id, time: previousLast.time },
          firstEvent: { id: body.firstEvent.id, time: body.firstEvent.time },
        });
      }
      const mismatch = manifestMismatch(batch.manifest, body);
      if (mismatch !== undefined)
        findings.push({ kind: 'manifest-mismatch', batch: index, seq, detail: mismatch });
    }

    batch.manifest.forEach((leaf, leafIndex) => {
      entries.push({ ...leaf, seq, leafIndex, rank: entries.length, seen: false });
    });
    previousSeq = seq;
    previousHash = checkpointHash(batch.checkpoint);
    previousLast = body?.lastEvent ?? null;
  });
  return entries;
}

function report(
  findings: AuditFinding[],
  batch: number,
  seq: number | null,
  failures: CheckpointFailure[],
): void {
  const signature = failures.filter((f) => f.check === 'signature' || f.check === 'kid' || f.check === 'alg');
  const malformed = failures.filter((f) => !signature.includes(f));
  if (signature.length > 0)
    findings.push({ kind: 'checkpoint-bad-signature', batch, seq, failures: signature });
  if (malformed.length > 0) findings.push({ kind: 'checkpoint-malformed', batch, seq, failures: malformed });
}

function manifestMismatch(
  manifest: readonly SealedLeaf[],
  body: { treeSize: number; rootHash: string; firstEvent: object; lastEvent: object },
): string | undefined {
  if (manifest.length !== body.treeSize) {
    return `expected ${body.treeSize} leaves as signed, found ${manifest.length}`;
  }
  const hashes: Hash[] = [];
  for (const [i, leaf] of manifest.entries()) {
    const hash = manifestLeafHash(leaf);
    if (hash === undefined) return `expected a 32-byte base64url hash at leaf ${i}, found ${leaf.hash}`;
    hashes.push(hash);
  }
  const root = base64url(rootHash(hashes));
  if (root !== body.rootHash) return `expected the signed root ${body.rootHash}, the leaves give ${root}`;
  const first = manifest[0]!;
  const last = manifest[manifest.length - 1]!;
  const same = (leaf: SealedLeaf, signed: object): boolean =>
    JSON.stringify({ id: leaf.id, time: leaf.time }) === JSON.stringify(signed);
  if (!same(first, body.firstEvent))
    return `expected first event ${JSON.stringify(body.firstEvent)}, found ${first.id}`;
  if (!same(last, body.lastEvent))
    return `expected last event ${JSON.stringify(body.lastEvent)}, found ${last.id}`;
  return undefined;
}

function checkEvents(events: readonly unknown[], sealed: SealedEntry[], findings: AuditFinding[]): void {
  const byId = new Map<string, SealedEntry>();
  for (const entry of sealed) {
    const first = byId.get(entry.id);
    if (first === undefined) byId.set(entry.id, entry);
    else {
      findings.push({
        kind: 'event-sealed-twice',
        eventId: entry.id,
        seq: entry.seq,
        leafIndex: entry.leafIndex,
        first: { seq: first.seq, leafIndex: first.leafIndex },
      });
    }
  }

  // Matched events in stored order, for the order check.
  const matched: { entry: SealedEntry; storedPosition: number }[] = [];
  events.forEach((event, storedPosition) => {
    const id = idOf(event);
    const entry = id === null ? undefined : byId.get(id);
    if (id === null || entry === undefined || entry.seen) {
      const detail =
        id === null ? 'no string id' : entry === undefined ? 'id not in any sealed batch' : 'id already seen';
      findings.push({ kind: 'event-inserted', eventId: id, storedPosition, detail });
      return;
    }
    entry.seen = true;
    matched.push({ entry, storedPosition });
    if (hashOf(event) !== entry.hash) {
      findings.push({
        kind: 'event-changed',
        eventId: id,
        seq: entry.seq,
        leafIndex: entry.leafIndex,
        storedPosition,
      });
    }
  });

  for (const entry of sealed) {
    if (!entry.seen && byId.get(entry.id) === entry) {
      findings.push({
        kind: 'event-dropped',
        eventId: entry.id,
        time: entry.time,
        seq: entry.seq,
        leafIndex: entry.leafIndex,
      });
    }
  }

  // The fewest events that must move to restore seal order: those outside a longest increasing
  // subsequence of seal ranks. One event moved far names only that event, not all it jumped
  // over; two swapped events name both, or one when they were neighbours (moving one suffices).
  const inOrder = longestIncreasing(matched.map((m) => m.entry.rank));
  matched.forEach(({ entry, storedPosition }, i) => {
    if (!inOrder.has(i)) {
      findings.push({
        kind: 'event-reordered',
        eventId: entry.id,
        seq: entry.seq,
        leafIndex: entry.leafIndex,
        sealedRank: entry.rank,
        storedPosition,
      });
    }
  });
}

function idOf(event: unknown): string | null {
  if (typeof event !== 'object' || event === null) return null;
  const id = (event as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}

/**
 * A checkpoint the write-once archive holds at a sequence number where it holds another too. Two
 * sealer runs that raced leave one (the loser archived before its head write failed): all its
 * events are in the log, as sealed. So does the chain's end dropped with its events and the head
 * moved back, once the sealer has sealed past the gap again: the tables then hold a whole chain
 * without those events, and only the archive still names them.
 */
export interface ArchivedCheckpoint {
  seq: number;
  /** The checkpoint hash the archive files the batch under. */
  checkpointHash: string;
  checkpoint: string;
}

/** Archived at a forked sequence number, but not a batch of this log's sealer as filed. */
export interface ArchivedBatchInvalidFinding {
  kind: 'archived-batch-invalid';
  seq: number;
  checkpointHash: string;
  detail: string;
}

export type ArchivedForkFinding =
  | ArchivedBatchInvalidFinding
  /** An event a sealer sealed that the log no longer holds: removed. */
  | { kind: 'archived-event-missing'; seq: number; checkpointHash: string; eventId: string; time: string }
  /** An event a sealer sealed that the log holds with other content (or time). */
  | { kind: 'archived-event-changed'; seq: number; checkpointHash: string; eventId: string; time: string };

const archivedInvalid = (archived: Omit<ArchivedCheckpoint, 'checkpoint'>, detail: string) => ({
  kind: 'archived-batch-invalid' as const,
  seq: archived.seq,
  checkpointHash: archived.checkpointHash,
  detail,
});

/**
 * Whether an archived checkpoint is one this log's sealer made as filed: signed by a platform
 * key, of this log and sequence number, filed under its own hash. Its body when it is; else the
 * finding. (Its manifest is judged with its events, archivedEventFindings.)
 */
export function checkArchivedCheckpoint(
  archived: ArchivedCheckpoint,
  logId: string,
  publicJwks: readonly PublicJwk[],
): { ok: true; body: Checkpoint } | { ok: false; finding: ArchivedBatchInvalidFinding } {
  const invalid = (detail: string) => ({ ok: false as const, finding: archivedInvalid(archived, detail) });
  const verified = verifyCheckpoint(archived.checkpoint, publicJwks);
  if (!verified.ok) {
    return invalid(
      verified.failures.map((f) => `${f.check}: expected ${f.expected}, found ${f.found}`).join('; '),
    );
  }
  const { body } = verified;
  if (body.logId !== logId) return invalid(`expected log ${logId}, found ${body.logId}`);
  if (body.seq !== archived.seq) return invalid(`filed under seq ${archived.seq}, signed as ${body.seq}`);
  const hash = checkpointHash(archived.checkpoint);
  if (hash !== archived.checkpointHash)
    return invalid(`filed under ${archived.checkpointHash}, hashes to ${hash}`);
  return { ok: true, body };
}

/**
 * An archived batch's manifest against its verified checkpoint (else the finding), and then each
 * event it sealed against the log as stored over that batch's span (its first to its last event,
 * as read back, not validated): one missing or changed is a finding.
 */
export function archivedEventFindings(
  archived: { seq: number; checkpointHash: string; body: Checkpoint; manifest: readonly SealedLeaf[] },
  storedEvents: readonly unknown[],
): ArchivedForkFinding[] {
  const mismatch = manifestMismatch(archived.manifest, archived.body);
  if (mismatch !== undefined) return [archivedInvalid(archived, `manifest: ${mismatch}`)];
  const stored = new Map<string, string | undefined>();
  for (const event of storedEvents) {
    const id = idOf(event);
    if (id !== null && !stored.has(id)) stored.set(id, hashOf(event));
  }
  const findings: ArchivedForkFinding[] = [];
  for (const leaf of archived.manifest) {
    const place = {
      seq: archived.seq,
      checkpointHash: archived.checkpointHash,
      eventId: leaf.id,
      time: leaf.time,
    };
    if (!stored.has(leaf.id)) findings.push({ kind: 'archived-event-missing', ...place });
    else if (stored.get(leaf.id) !== leaf.hash) findings.push({ kind: 'archived-event-changed', ...place });
  }
  return findings;
}

function hashOf(event: unknown): string | undefined {
  try {
    return base64url(leafHash(canonicalJsonBytes(event)));
  } catch {
    return undefined;
  }
}

/** Positions (into `values`) of one longest strictly increasing subsequence, O(n log n). */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []; // tails[k]: position of the smallest tail of an increasing run of length k+1
  const parent = new Array<number>(values.length).fill(-1);
  values.forEach((value, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[tails[mid]!]! < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) parent[i] = tails[lo - 1]!;
    tails[lo] = i;
  });
  const kept = new Set<number>();
  for (let i = tails.length > 0 ? tails[tails.length - 1]! : -1; i !== -1; i = parent[i]!) kept.add(i);
  return kept;
}
