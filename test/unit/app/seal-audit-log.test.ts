import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { type AuditSealing, AuditSealingMisconfigured, sealAuditLog } from '#app/seal-audit-log.ts';
import { checkpointHash, verifyCheckpoint } from '#core/audit/checkpoint.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { verifyAuditRange } from '#core/audit/verify-range.ts';
import { SealChainMoved } from '#ports/audit-seal-store.ts';
import { auditEvent } from '../audit/fixtures.ts';
import { MemoryAuditLog, MemorySealStore } from './audit-fakes.ts';

const signer = new SoftwareEs256Signer('platform-test');
const LOG = 'elicense-test-audit';
const T0 = Date.parse('2025-03-01T08:00:00.000Z');

/** An event `seconds` after T0 (fixture content, own time and id). */
function at(n: number, seconds: number, id = `evt-${String(n).padStart(5, '0')}`): AuditEvent {
  return { ...auditEvent(n), id, time: new Date(T0 + seconds * 1000).toISOString() };
}

function sealing(
  log: MemoryAuditLog,
  seals: MemorySealStore,
  nowSeconds: number,
  over: Partial<AuditSealing> = {},
) {
  return {
    log,
    seals,
    keys: { platformKey: async () => ({ keyRef: 'local:platform', signer, publicJwk: signer.publicJwk }) },
    logId: LOG,
    now: () => new Date(T0 + nowSeconds * 1000),
    settleSeconds: 60,
    batchSize: 4,
    maxBatchesPerRun: 10,
    origin: () => new Date(T0 - 3_600_000),
    ...over,
  } satisfies AuditSealing;
}

/** Verifies the whole stored log against every batch of the store. */
function verifyAll(log: MemoryAuditLog, seals: MemorySealStore) {
  return verifyAuditRange({
    logId: LOG,
    events: log.stored
      .filter((s) => seals.head.through !== null && s.time < seals.head.through)
      .map((s) => s.event),
    batches: seals.batches,
    publicJwks: [signer.publicJwk],
    anchor: null,
  });
}

describe('sealAuditLog', () => {
  it('seals the settled events in batches of at most batchSize, chained and signed, and reports the lag of the rest', async () => {
    const log = new MemoryAuditLog();
    log.add(...Array.from({ length: 10 }, (_, n) => at(n, n * 10)), at(10, 290), at(11, 295));
    const seals = new MemorySealStore();

    const run = await sealAuditLog(sealing(log, seals, 300));

    expect(run.batches.map((b) => [b.seq, b.events])).toEqual([
      [0, 4],
      [1, 4],
      [2, 2],
    ]);
    expect(run.complete).toBe(true);
    expect(run.through).toBe(new Date(T0 + 240_000).toISOString());
    // The oldest event not sealed is evt-00010, stamped 10 s before now.
    expect(run.lagSeconds).toBe(10);
    expect(seals.batches.map((b) => verifyCheckpoint(b.checkpoint, [signer.publicJwk]).ok)).toEqual([
      true,
      true,
      true,
    ]);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 10, batchesChecked: 3 });
  });

  it('continues the chain on the next run with the events that settled since, sealing none twice', async () => {
    const log = new MemoryAuditLog();
    log.add(at(0, 0), at(1, 10));
    const seals = new MemorySealStore();
    await sealAuditLog(sealing(log, seals, 100));
    log.add(at(2, 50), at(3, 120));

    const run = await sealAuditLog(sealing(log, seals, 200));

    expect(run.batches).toEqual([
      {
        seq: 1,
        events: 2,
        firstEvent: { id: 'evt-00002', time: at(2, 50).time },
        lastEvent: { id: 'evt-00003', time: at(3, 120).time },
      },
    ]);
    const second = verifyCheckpoint(seals.batches[1]!.checkpoint, [signer.publicJwk]);
    expect(second.ok && second.body.previous).toBe(checkpointHash(seals.batches[0]!.checkpoint));
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 4 });
    expect(run.lagSeconds).toBe(0);
  });

  it('moves only the sealed position when nothing has settled, and reports no lag', async () => {
    const log = new MemoryAuditLog();
    const seals = new MemorySealStore();

    const run = await sealAuditLog(sealing(log, seals, 600));

    expect(run).toEqual({
      batches: [],
      through: new Date(T0 + 540_000).toISOString(),
      lagSeconds: 0,
      complete: true,
    });
    expect(seals.head).toMatchObject({ version: 1, seq: null, checkpoint: null });
  });

  it('stops at maxBatchesPerRun and resumes between events of the same millisecond without loss or repeat', async () => {
    const log = new MemoryAuditLog();
    // Six events in one millisecond: a batch of 4 cuts the run inside it.
    log.add(...Array.from({ length: 6 }, (_, n) => at(n, 5, `same-${n}`)), at(6, 7), at(7, 8));
    const seals = new MemorySealStore();

    const first = await sealAuditLog(sealing(log, seals, 300, { maxBatchesPerRun: 1 }));
    expect(first.complete).toBe(false);
    expect(first.batches.map((b) => b.lastEvent.id)).toEqual(['same-3']);
    // The oldest unsealed event is same-4, 295 s old.
    expect(first.lagSeconds).toBe(295);

    const second = await sealAuditLog(sealing(log, seals, 300, { maxBatchesPerRun: 1 }));
    expect(second.batches.map((b) => [b.firstEvent.id, b.lastEvent.id])).toEqual([['same-4', 'evt-00007']]);
    expect(second.complete).toBe(true);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 8, batchesChecked: 2 });
  });

  it('never seals an event that arrives behind the sealed position; verification names it inserted', async () => {
    const log = new MemoryAuditLog();
    log.add(at(0, 0));
    const seals = new MemorySealStore();
    await sealAuditLog(sealing(log, seals, 100));
    log.add(at(1, 20)); // a writer slower than the settle window
    log.add(at(2, 90));

    const run = await sealAuditLog(sealing(log, seals, 200));

    expect(run.batches.map((b) => b.firstEvent.id)).toEqual(['evt-00002']);
    expect(verifyAll(log, seals).findings).toEqual([
      {
        kind: 'event-inserted',
        eventId: 'evt-00001',
        storedPosition: 1,
        detail: 'id not in any sealed batch',
      },
    ]);
  });

  it('refuses to append over a head another sealer moved, leaving that sealer’s chain as it is', async () => {
    const log = new MemoryAuditLog();
    log.add(at(0, 0), at(1, 10));
    const seals = new MemorySealStore();
    let raced = false;
    seals.beforeAppend = async () => {
      if (raced) return;
      raced = true;
      // Another sealer wins the race with the same events.
      seals.beforeAppend = undefined;
      await sealAuditLog(sealing(log, seals, 100));
    };

    await expect(sealAuditLog(sealing(log, seals, 100))).rejects.toBeInstanceOf(SealChainMoved);
    expect(seals.batches.map((b) => b.seq)).toEqual([0]);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 2 });
  });

  it('fails the run, sealing nothing, when the sealed position is ahead of the clock', async () => {
    const log = new MemoryAuditLog();
    log.add(at(0, 0), at(1, 10), at(2, 20));
    const seals = new MemorySealStore();
    // A head written by a sealer whose clock ran ten minutes ahead (or edited in the table).
    await seals.append({ expected: seals.head, through: new Date(T0 + 900_000).toISOString() });
    const before = { ...seals.head };

    await expect(sealAuditLog(sealing(log, seals, 300))).rejects.toMatchObject({
      code: 'AUDIT_SEAL_HEAD_AHEAD',
      message: expect.stringContaining(new Date(T0 + 900_000).toISOString()),
    });
    expect(seals.head).toEqual(before);
    expect(seals.batches).toEqual([]);
  });

  it('takes a sealed position ahead of the clock by a few seconds of skew as no lag, sealing nothing', async () => {
    const log = new MemoryAuditLog();
    log.add(at(0, 0));
    const seals = new MemorySealStore();
    await seals.append({ expected: seals.head, through: new Date(T0 + 305_000).toISOString() });

    const run = await sealAuditLog(sealing(log, seals, 300));

    expect(run).toMatchObject({ batches: [], lagSeconds: 0, complete: true });
    expect(seals.batches).toEqual([]);
  });

  it('refuses settings that cannot seal', async () => {
    const log = new MemoryAuditLog();
    const seals = new MemorySealStore();
    await expect(sealAuditLog(sealing(log, seals, 100, { batchSize: 0 }))).rejects.toThrow(
      AuditSealingMisconfigured,
    );
    await expect(sealAuditLog(sealing(log, seals, 100, { settleSeconds: -1 }))).rejects.toThrow(
      /settleSeconds ≥ 0, found -1/,
    );
    expect(seals.head.version).toBe(0);
  });
});
