import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import {
  AuditSealError,
  CHECKPOINT_TYP,
  checkpointHash,
  eventLeafHash,
  sealBatch,
  verifyCheckpoint,
} from '#core/audit/checkpoint.ts';
import { inclusionProof, leafHash, rootHash, verifyInclusion } from '#core/audit/merkle.ts';
import { base64url, decodeCompactJws, fromBase64url, signCompactJws } from '#core/jws.ts';
import { auditEvents } from './fixtures.ts';

const signer = new SoftwareEs256Signer('audit-seal-1');
const sealedAt = new Date('2025-03-01T09:00:00.000Z');

describe('sealing a batch', () => {
  it('signs a checkpoint over the Merkle root of the events with the chain link to its predecessor', async () => {
    const first = await sealBatch(
      { logId: 'audit-main', seq: 0, events: auditEvents(0, 5), previous: null, sealedAt },
      signer,
    );
    const events = auditEvents(5, 7);
    const second = await sealBatch(
      { logId: 'audit-main', seq: 1, events, previous: first.checkpoint, sealedAt },
      signer,
    );

    const { header, payload } = decodeCompactJws(second.checkpoint);
    expect(header).toEqual({ typ: CHECKPOINT_TYP, alg: 'ES256', kid: 'audit-seal-1' });
    expect(payload).toEqual({
      logId: 'audit-main',
      seq: 1,
      treeSize: 7,
      rootHash: base64url(rootHash(events.map(eventLeafHash))),
      firstEvent: { id: 'evt-00005', time: '2025-03-01T08:00:05.000Z' },
      lastEvent: { id: 'evt-00011', time: '2025-03-01T08:00:11.000Z' },
      previous: checkpointHash(first.checkpoint),
      sealedAt: '2025-03-01T09:00:00.000Z',
    });
    expect(first.body.previous).toBeNull();
    expect(verifyCheckpoint(second.checkpoint, [signer.publicJwk])).toEqual({ ok: true, body: second.body });
  });

  it('hands back the RFC 8785 bytes of each event it hashed, for the archive to keep as sealed', async () => {
    const events = auditEvents(0, 5);
    const sealed = await sealBatch({ logId: 'audit-main', seq: 0, events, previous: null, sealedAt }, signer);
    expect(sealed.eventBytes.map((bytes) => new TextDecoder().decode(bytes))).toEqual(
      events.map((event) => canonicalize(event)),
    );
    expect(sealed.eventBytes.map((bytes) => base64url(leafHash(bytes)))).toEqual(
      sealed.manifest.map((leaf) => leaf.hash),
    );
  });

  it('gives a manifest from which any event can be proven included in the signed root', async () => {
    const events = auditEvents(0, 11);
    const sealed = await sealBatch({ logId: 'audit-main', seq: 0, events, previous: null, sealedAt }, signer);
    const leaves = sealed.manifest.map((leaf) => Uint8Array.from(fromBase64url(leaf.hash)));
    const root = Uint8Array.from(fromBase64url(sealed.body.rootHash));
    expect(sealed.manifest.map((leaf) => leaf.id)).toEqual(events.map((event) => event.id));
    for (let i = 0; i < events.length; i++) {
      expect(verifyInclusion(eventLeafHash(events[i]!), i, 11, inclusionProof(leaves, i), root)).toBe(true);
    }
  });

  it('refuses an empty batch, events out of (time, id) order, and a seq that does not follow', async () => {
    const seal = (events: ReturnType<typeof auditEvents>, seq: number, previous: string | null) =>
      sealBatch({ logId: 'audit-main', seq, events, previous, sealedAt }, signer);
    await expect(seal([], 0, null)).rejects.toThrow(AuditSealError);
    const [a, b] = auditEvents(0, 2) as [
      ReturnType<typeof auditEvents>[0],
      ReturnType<typeof auditEvents>[0],
    ];
    await expect(seal([b, a], 0, null)).rejects.toThrow(
      /strictly ascending \(time, id\) order, found evt-00000/,
    );
    await expect(seal([a, a], 0, null)).rejects.toThrow(AuditSealError);
    await expect(seal([a], 1, null)).rejects.toThrow('expected a previous checkpoint for seq 1, found none');
    const first = await seal([a], 0, null);
    await expect(seal([b], 2, first.checkpoint)).rejects.toThrow('expected seq 1 of log audit-main');
  });

  it('refuses a batch that does not begin after the previous checkpoint’s last event: sealed already', async () => {
    const seal = (events: ReturnType<typeof auditEvents>, seq: number, previous: string | null) =>
      sealBatch({ logId: 'audit-main', seq, events, previous, sealedAt }, signer);
    const first = await seal(auditEvents(0, 5), 0, null);
    await expect(seal(auditEvents(0, 8), 1, first.checkpoint)).rejects.toThrow(
      /after the previous checkpoint's last event evt-00004 at .*, found evt-00000/,
    );
    await expect(seal(auditEvents(4, 2), 1, first.checkpoint)).rejects.toThrow(AuditSealError);
    await expect(seal(auditEvents(5, 2), 1, first.checkpoint)).resolves.toMatchObject({ body: { seq: 1 } });
  });
});

describe('verifying a checkpoint names what failed', async () => {
  const sealed = await sealBatch(
    { logId: 'audit-main', seq: 0, events: auditEvents(0, 3), previous: null, sealedAt },
    signer,
  );
  const checksOf = (jws: string) => {
    const result = verifyCheckpoint(jws, [signer.publicJwk]);
    return result.ok ? [] : result.failures.map((f) => f.check);
  };

  it('a body edited after signing fails the signature', () => {
    const [h, , s] = sealed.checkpoint.split('.');
    const edited = base64url(JSON.stringify({ ...sealed.body, treeSize: 2 }));
    expect(checksOf(`${h}.${edited}.${s}`)).toEqual(['signature']);
  });

  it('a key we do not know fails kid; one that lies about its kid fails the signature', async () => {
    const stranger = await sealBatch(
      { logId: 'audit-main', seq: 0, events: auditEvents(0, 3), previous: null, sealedAt },
      new SoftwareEs256Signer('audit-seal-9'),
    );
    expect(checksOf(stranger.checkpoint)).toEqual(['kid']);
    const impostor = await sealBatch(
      { logId: 'audit-main', seq: 0, events: auditEvents(0, 3), previous: null, sealedAt },
      new SoftwareEs256Signer('audit-seal-1'),
    );
    expect(checksOf(impostor.checkpoint)).toEqual(['signature']);
  });

  it('a wrong typ, a malformed body and a non-JWS are named', async () => {
    expect(checksOf(await signCompactJws({ typ: 'JWT' }, { ...sealed.body }, signer))).toEqual(['typ']);
    expect(
      checksOf(await signCompactJws({ typ: CHECKPOINT_TYP }, { ...sealed.body, rootHash: 'short' }, signer)),
    ).toEqual(['body']);
    expect(checksOf('garbage')).toEqual(['format']);
  });
});
