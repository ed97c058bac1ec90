import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  base64url,
  decodeCompactJws,
  fromBase64url,
  type JwsSigner,
  type PublicJwk,
  signCompactJws,
  verifyEs256,
} from '../jws.ts';
import { canonicalEventBytes } from './canonical.ts';
import { type AuditEvent, auditEventId, auditTime, compareAuditEvents } from './event.ts';
import { type Hash, leafHash, rootHash } from './merkle.ts';

// Sealing: a batch of events becomes an RFC 6962 Merkle tree, and its root goes into a signed
// checkpoint that also names the hash of the previous checkpoint, so checkpoints form a chain.
// Each batch is its own tree; the chain (not one ever-growing tree) links batches, so a batch
// can be verified from its own events and its checkpoint alone.
//
// Next to the checkpoint the sealer keeps a manifest: the batch's leaves in order, each as
// {id, time, hash}. The manifest must reproduce the signed root, which authenticates every leaf
// hash and its position; with it, a verifier can name which stored event was changed, dropped,
// inserted or moved, where the root alone could only say "this batch differs". The storage layer
// should keep checkpoints and manifests write-once (e.g. S3 Object Lock), apart from the events.

export const CHECKPOINT_TYP = 'audit-checkpoint+jws';

export const checkpointSchema = z.strictObject({
  logId: z.string().min(1).max(128),
  /** 0 for the first batch of a log, then consecutive. */
  seq: z.number().int().nonnegative(),
  treeSize: z.number().int().positive(),
  /** base64url of the 32-byte Merkle root. */
  rootHash: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  firstEvent: z.strictObject({ id: auditEventId, time: auditTime }),
  lastEvent: z.strictObject({ id: auditEventId, time: auditTime }),
  /** {@link checkpointHash} of the previous checkpoint; null only for seq 0. */
  previous: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .nullable(),
  sealedAt: auditTime,
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** One leaf of a sealed batch, in seal order: the event's id and time, and its leaf hash (base64url). */
export interface SealedLeaf {
  id: string;
  time: string;
  hash: string;
}

export interface SealedBatch {
  /** The signed checkpoint (compact JWS). */
  checkpoint: string;
  body: Checkpoint;
  manifest: SealedLeaf[];
  /**
   * Each event's RFC 8785 bytes, in seal order: the leaves were hashed from them, and the archive
   * keeps them, so the sealer builds them once (they are most of its CPU per event).
   */
  eventBytes: Uint8Array[];
}

export class AuditSealError extends Error {
  readonly code = 'AUDIT_SEAL_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'AuditSealError';
  }
}

/**
 * A checkpoint's body as it decodes, its signature not checked; undefined when it is not a
 * compact JWS of a checkpoint. For the sealer's own chain, whose end it continues.
 */
export function checkpointBody(checkpoint: string): Checkpoint | undefined {
  let payload: unknown;
  try {
    payload = decodeCompactJws(checkpoint).payload;
  } catch {
    return undefined;
  }
  const parsed = checkpointSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

/** Chain link: base64url(SHA-256(the checkpoint's compact JWS)), covering its signature too. */
export function checkpointHash(checkpoint: string): string {
  return base64url(createHash('sha256').update(checkpoint, 'ascii').digest());
}

/** The leaf hash of a validated event: H(0x00 ‖ JCS bytes). */
export function eventLeafHash(event: AuditEvent): Hash {
  return leafHash(canonicalEventBytes(event));
}

export interface SealBatchInput {
  logId: string;
  seq: number;
  /** The batch, already in seal order: ascending (time, id), see compareAuditEvents. */
  events: readonly AuditEvent[];
  /** The previous checkpoint's JWS, or null when seq is 0. */
  previous: string | null;
  sealedAt: Date;
}

/** Seals a batch: Merkle root over the events' canonical bytes, signed checkpoint, manifest. */
export async function sealBatch(input: SealBatchInput, signer: JwsSigner): Promise<SealedBatch> {
  const { events } = input;
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined)
    throw new AuditSealError('expected at least one event to seal');
  for (let i = 1; i < events.length; i++) {
    if (compareAuditEvents(events[i - 1]!, events[i]!) >= 0) {
      throw new AuditSealError(
        `expected events in strictly ascending (time, id) order, found ${events[i]!.id} at ${i} after ${events[i - 1]!.id}`,
      );
    }
  }
  if (input.previous === null) {
    if (input.seq !== 0)
      throw new AuditSealError(`expected a previous checkpoint for seq ${input.seq}, found none`);
  } else {
    const previous = checkpointBody(input.previous);
    if (previous === undefined)
      throw new AuditSealError('expected the previous checkpoint to be a checkpoint');
    if (previous.logId !== input.logId || previous.seq + 1 !== input.seq) {
      throw new AuditSealError(
        `expected seq ${previous.seq + 1} of log ${previous.logId}, found seq ${input.seq} of log ${input.logId}`,
      );
    }
    // An event at or before the chain's signed end is sealed already: sealing it again would
    // have the platform key vouch for a second, possibly rewritten, history of it.
    if (compareAuditEvents(first, previous.lastEvent) <= 0) {
      throw new AuditSealError(
        `expected events after the previous checkpoint's last event ${previous.lastEvent.id} at ${previous.lastEvent.time}, found ${first.id} at ${first.time}`,
      );
    }
  }

  const eventBytes = events.map(canonicalEventBytes);
  const hashes = eventBytes.map(leafHash);
  const body: Checkpoint = {
    logId: input.logId,
    seq: input.seq,
    treeSize: events.length,
    rootHash: base64url(rootHash(hashes)),
    firstEvent: { id: first.id, time: first.time },
    lastEvent: { id: last.id, time: last.time },
    previous: input.previous === null ? null : checkpointHash(input.previous),
    sealedAt: input.sealedAt.toISOString(),
  };
  const checkpoint = await signCompactJws({ typ: CHECKPOINT_TYP }, { ...body }, signer);
  const manifest = events.map((event, i) => ({
    id: event.id,
    time: event.time,
    hash: base64url(hashes[i]!),
  }));
  return { checkpoint, body, manifest, eventBytes };
}

export type CheckpointCheck = 'format' | 'alg' | 'kid' | 'signature' | 'typ' | 'body';

export interface CheckpointFailure {
  check: CheckpointCheck;
  expected: string;
  found: string;
}

export type CheckpointVerification =
  | { ok: true; body: Checkpoint }
  /** `body` is the decoded, schema-valid payload when there is one, for diagnosis only. */
  | { ok: false; failures: CheckpointFailure[]; body: Checkpoint | undefined };

/** Verifies a checkpoint's signature (by `kid` among the given keys), `typ` and body. */
export function verifyCheckpoint(
  checkpoint: string,
  publicJwks: readonly PublicJwk[],
): CheckpointVerification {
  const failures: CheckpointFailure[] = [];
  let decoded: ReturnType<typeof decodeCompactJws>;
  try {
    decoded = decodeCompactJws(checkpoint);
  } catch (error) {
    const found = error instanceof Error ? error.message : String(error);
    return { ok: false, failures: [{ check: 'format', expected: 'a compact JWS', found }], body: undefined };
  }
  const { header, payload } = decoded;
  const key = publicJwks.find((jwk) => jwk.kid === header.kid);
  if (header.alg !== 'ES256') failures.push({ check: 'alg', expected: 'ES256', found: String(header.alg) });
  else if (key === undefined) {
    failures.push({
      check: 'kid',
      expected: publicJwks.map((k) => k.kid).join(' or '),
      found: String(header.kid),
    });
  } else if (!verifyEs256(decoded.signingInput, decoded.signature, key)) {
    failures.push({
      check: 'signature',
      expected: `a valid ES256 signature by ${key.kid}`,
      found: 'a bad signature',
    });
  }
  if (header.typ !== CHECKPOINT_TYP)
    failures.push({ check: 'typ', expected: CHECKPOINT_TYP, found: String(header.typ) });
  const parsed = checkpointSchema.safeParse(payload);
  if (!parsed.success) {
    failures.push({
      check: 'body',
      expected: 'a checkpoint body',
      found: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  }
  const body = parsed.success ? parsed.data : undefined;
  if (failures.length > 0 || body === undefined) return { ok: false, failures, body };
  return { ok: true, body };
}

/** Decodes a manifest leaf hash; undefined when it is not 32 bytes of base64url. */
export function manifestLeafHash(leaf: SealedLeaf): Hash | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(leaf.hash)) return undefined;
  return Uint8Array.from(fromBase64url(leaf.hash));
}
