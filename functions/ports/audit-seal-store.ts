// The sealed audit chain: its head (where sealing has got to) and its batches (checkpoint and
// manifest each), appended by the sealer and read back by the verifier. An append is
// conditional on the head the sealer read, so two sealers running at once can never fork the
// chain: one wins, the other gets SealChainMoved and has written nothing to the chain.
import type { SealedBatch, SealedLeaf } from '#core/audit/checkpoint.ts';
import type { AuditTimeRange } from './audit-log.ts';

/** A position in seal order: (time, id) of an event. */
export interface AuditPosition {
  time: string;
  id: string;
}

export interface SealHead {
  /** Changes with every append; an append names the one it read. 0 when nothing was ever written. */
  version: number;
  /** The newest batch's checkpoint (compact JWS), null before the first batch. */
  checkpoint: string | null;
  /** The newest batch's seq, null before the first batch. */
  seq: number | null;
  /** The last event sealed, null before the first batch. */
  lastEvent: AuditPosition | null;
  /**
   * Every event with a time before this was read by a sealer: sealed, or not there when it
   * looked. Events at this very time may be partly sealed: those after `lastEvent` are not.
   * Null before the first run.
   */
  through: string | null;
  /**
   * The `through` of the chain's first run: when sealing this chain began. Null before the first
   * run, and in heads written before it was kept (their `through` stands in for it).
   */
  started: string | null;
}

export interface StoredSealBatch {
  seq: number;
  checkpoint: string;
  manifest: SealedLeaf[];
  firstEvent: AuditPosition;
  lastEvent: AuditPosition;
}

export interface SealAppend {
  /** The head as read; the append is refused if the head has moved since (by version). */
  expected: SealHead;
  /** The next batch of the chain (with the bytes of the events it seals); absent to only move `through`. */
  batch?: { sealed: SealedBatch };
  /** The new `through`: no earlier than the previous one. */
  through: string;
}

/**
 * The sealed batches a time range touches, and the checkpoints on either side of them. With no
 * batch in the range the two sides are still given: the chain must lead from the one before
 * the range straight to the one after it (or to the head), so deleting every batch of a range
 * together with its events cannot leave an empty range that verifies.
 */
export interface SealedRange {
  /** Every batch with an event in the range, whole, in seq order. */
  batches: StoredSealBatch[];
  /**
   * The checkpoint preceding `batches[0]` — with no batches, the last batch before the range —;
   * null when there is none (the range starts at or before seq 0).
   */
  anchor: string | null;
  /**
   * The checkpoint of the first batch after the range, null when there is none: its `previous`
   * must be the hash of the last of `batches` (else of `anchor`), so a batch deleted at the end
   * of the range — its item and its events — cannot go unnoticed.
   */
  successor: string | null;
}

export interface AuditSealStore {
  readHead(): Promise<SealHead>;
  /**
   * Archives the batch (write-once) and then moves the head, conditionally on its version.
   * Resolves to the new head; rejects with SealChainMoved when another sealer moved it first.
   */
  append(input: SealAppend): Promise<SealHead>;
  /** Batches whose events overlap the range (half-open, by event time). */
  batchesCovering(range: AuditTimeRange): Promise<SealedRange>;
  /**
   * The hashes of the checkpoints archived (write-once) under each sequence number — a batch the
   * sealer archived, whether or not the table still names it — from `fromSeq` to `toSeq`
   * (inclusive), by sequence number; numbers with none archived are absent, and with `forksOnly`
   * those with one (kept as the listing goes: a long span costs no memory for them). One listing.
   */
  archivedCheckpointsBetween(
    fromSeq: number,
    toSeq: number,
    options?: { forksOnly?: boolean },
  ): Promise<Map<number, string[]>>;
  /** An archived checkpoint by sequence number and hash; undefined when the archive holds none there. */
  archivedCheckpoint(seq: number, checkpointHash: string): Promise<string | undefined>;
  /** An archived batch's manifest by sequence number and checkpoint hash; no leaves when missing or unreadable. */
  archivedManifest(seq: number, checkpointHash: string): Promise<SealedLeaf[]>;
}

/** The head changed between reading it and appending: another sealer won; nothing was appended. */
export class SealChainMoved extends Error {
  readonly code = 'AUDIT_SEAL_CHAIN_MOVED';
  readonly expectedVersion: number;
  constructor(expectedVersion: number) {
    super(`expected the audit seal head at version ${expectedVersion}, found it moved by another sealer`);
    this.name = 'SealChainMoved';
    this.expectedVersion = expectedVersion;
  }
}
