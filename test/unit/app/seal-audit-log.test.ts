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
    maxBatchSize: 4,
    runSeconds: 40,
    maxBatchesPerRun: 10,
    origin: () => new Date(T0 - 3_600_000),
    ...over,
  } satisfies AuditSealing;
}

/** A clock the test moves: what a run reads as its time when it checks its budget. */
class Clock {
  #ms: number;
  constructor(ms: number) {
    this.#ms = ms;
  }
  readonly now = (): Date => new Date(this.#ms);
  advance(seconds: number): void {
    this.#ms += seconds * 1000;
  }
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
      stopped: 'caught-up',
    });
    expect(seals.head).toMatchObject({ version: 1, seq: null, checkpoint: null });
  });

  it('stops at maxBatchesPerRun and resumes between events of the same millisecond without loss or repeat', async () => {
    const log = new MemoryAuditLog();
    // Six events in one millisecond: a batch of 4 cuts the run inside it.
    log.add(...Array.from({ length: 6 }, (_, n) => at(n, 5, `same-${n}`)), at(6, 7), at(7, 8));
    const seals = new MemorySealStore();

    const first = await sealAuditLog(sealing(log, seals, 300, { maxBatchesPerRun: 1 }));
    expect(first).toMatchObject({ complete: false, stopped: 'batch-cap' });
    expect(first.batches.map((b) => b.lastEvent.id)).toEqual(['same-3']);
    // The oldest unsealed event is same-4, 295 s old.
    expect(first.lagSeconds).toBe(295);

    const second = await sealAuditLog(sealing(log, seals, 300, { maxBatchesPerRun: 1 }));
    expect(second.batches.map((b) => [b.firstEvent.id, b.lastEvent.id])).toEqual([['same-4', 'evt-00007']]);
    expect(second.complete).toBe(true);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 8, batchesChecked: 2 });
  });

  it('seals batch after batch until caught up, however many that takes within its time budget', async () => {
    const log = new MemoryAuditLog();
    log.add(...Array.from({ length: 90 }, (_, n) => at(n, n)));
    const seals = new MemorySealStore();
    // A clock that moves a second with every batch: 45 batches take 45 s of a 50 s budget.
    const clock = new Clock(T0 + 300_000);
    seals.beforeAppend = async () => clock.advance(1);

    const run = await sealAuditLog(
      sealing(log, seals, 300, {
        now: clock.now,
        batchSize: 2,
        maxBatchSize: 2,
        runSeconds: 50,
        maxBatchesPerRun: 1_000,
      }),
    );

    expect(run).toMatchObject({ complete: true, stopped: 'caught-up', lagSeconds: 0 });
    expect(run.batches).toHaveLength(45);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 90, batchesChecked: 45 });
  });

  it('begins no batch once its time budget on the given clock is spent; the next run seals the rest', async () => {
    const log = new MemoryAuditLog();
    log.add(...Array.from({ length: 20 }, (_, n) => at(n, n)));
    const seals = new MemorySealStore();
    // Each batch takes 20 s: batches begin at 0, 20 and 40 s; at 60 s the 45 s budget is spent.
    const clock = new Clock(T0 + 300_000);
    seals.beforeAppend = async () => clock.advance(20);

    const first = await sealAuditLog(
      sealing(log, seals, 300, { now: clock.now, batchSize: 2, maxBatchSize: 2, runSeconds: 45 }),
    );

    expect(first).toMatchObject({ complete: false, stopped: 'time-budget' });
    expect(first.batches.map((b) => b.lastEvent.id)).toEqual(['evt-00001', 'evt-00003', 'evt-00005']);
    // Stopped between batches: the head is at the last one sealed, no event half-sealed.
    expect(seals.head.lastEvent?.id).toBe('evt-00005');

    seals.beforeAppend = undefined;
    const second = await sealAuditLog(sealing(log, seals, 400, { batchSize: 2, maxBatchSize: 2 }));
    expect(second).toMatchObject({ complete: true, stopped: 'caught-up' });
    expect(second.batches[0]?.firstEvent.id).toBe('evt-00006');
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 20 });
  });

  it('seals one batch even when its budget is spent before it starts, so every run makes progress', async () => {
    const log = new MemoryAuditLog();
    log.add(...Array.from({ length: 10 }, (_, n) => at(n, n)));
    const seals = new MemorySealStore();

    const run = await sealAuditLog(sealing(log, seals, 300, { runSeconds: 0 }));

    expect(run).toMatchObject({ complete: false, stopped: 'time-budget' });
    expect(run.batches.map((b) => b.events)).toEqual([4]);
  });

  it('doubles the batch after each one that fills, up to maxBatchSize, and starts small again on the next run', async () => {
    const log = new MemoryAuditLog();
    log.add(...Array.from({ length: 40 }, (_, n) => at(n, n)));
    const seals = new MemorySealStore();

    const backlog = await sealAuditLog(sealing(log, seals, 300, { batchSize: 2, maxBatchSize: 8 }));

    expect(backlog.batches.map((b) => b.events)).toEqual([2, 4, 8, 8, 8, 8, 2]);
    expect(backlog.stopped).toBe('caught-up');

    log.add(...Array.from({ length: 3 }, (_, n) => at(40 + n, 250 + n)));
    const steady = await sealAuditLog(sealing(log, seals, 400, { batchSize: 2, maxBatchSize: 8 }));
    expect(steady.batches.map((b) => b.events)).toEqual([2, 1]);
    expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 43, batchesChecked: 9 });
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

  describe('a head whose unsigned copies disagree with its signed checkpoint', () => {
    /** Twenty events, ten seconds apart, sealed as seq 0–4 by a run at 300 s. */
    async function sealedLog() {
      const log = new MemoryAuditLog();
      log.add(...Array.from({ length: 20 }, (_, n) => at(n, n * 10)));
      const seals = new MemorySealStore();
      await sealAuditLog(sealing(log, seals, 300));
      expect(seals.head.seq).toBe(4);
      return { log, seals };
    }

    it('fails the run, sealing nothing again, when the position is moved back behind the checkpoint', async () => {
      const { log, seals } = await sealedLog();
      // Sealed events rewritten in the table, the head's position moved back to the origin and
      // its lastEvent removed, seq and checkpoint kept: a run must not sign a second history.
      (log.stored[7]!.event as { outcome: string }).outcome = 'denied';
      log.stored.splice(12, 1);
      const tampered = [
        { through: new Date(T0 - 3_600_000).toISOString(), lastEvent: null },
        { through: new Date(T0).toISOString(), lastEvent: seals.head.lastEvent },
        { through: seals.head.through, lastEvent: { time: at(9, 90).time, id: 'evt-00009' } },
      ];
      for (const edit of tampered) {
        const sealed = seals.head;
        seals.head = { ...sealed, ...edit };
        const before = { ...seals.head };
        await expect(sealAuditLog(sealing(log, seals, 400))).rejects.toMatchObject({
          code: 'AUDIT_SEAL_HEAD_MISMATCH',
          message: expect.stringContaining(`lastEvent {"time":"${at(19, 190).time}","id":"evt-00019"}`),
        });
        expect(seals.head).toEqual(before);
        expect(seals.batches.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4]);
        seals.head = sealed;
      }
    });

    it('fails the run when lastEvent is moved ahead, rather than skip every new event with lag 0', async () => {
      const { log, seals } = await sealedLog();
      seals.head = { ...seals.head, lastEvent: { time: new Date(T0 + 3_600_000).toISOString(), id: 'zzzz' } };
      log.add(at(100, 320), at(101, 330));

      await expect(sealAuditLog(sealing(log, seals, 500))).rejects.toMatchObject({
        code: 'AUDIT_SEAL_HEAD_MISMATCH',
      });
      expect(seals.batches.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4]);
    });

    it('fails the run when seq disagrees, or a head with no checkpoint names a seq or lastEvent', async () => {
      const { log, seals } = await sealedLog();
      const sealed = seals.head;
      for (const edit of [{ seq: 9 }, { checkpoint: null }]) {
        seals.head = { ...sealed, ...edit };
        await expect(sealAuditLog(sealing(log, seals, 400))).rejects.toMatchObject({
          code: 'AUDIT_SEAL_HEAD_MISMATCH',
        });
      }
      expect(seals.batches.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4]);
    });

    it('seals on as before from a head that agrees, with through at its last event’s very time', async () => {
      const log = new MemoryAuditLog();
      // A full batch leaves through at its last event's time, where more events may follow.
      log.add(at(0, 0), at(1, 10), at(2, 20), at(3, 30), at(4, 30));
      const seals = new MemorySealStore();
      await sealAuditLog(sealing(log, seals, 300, { maxBatchesPerRun: 1 }));
      expect(seals.head.through).toBe(seals.head.lastEvent!.time);
      log.add(at(5, 40));

      const run = await sealAuditLog(sealing(log, seals, 400));

      expect(run.batches.map((b) => [b.seq, b.firstEvent.id])).toEqual([[1, 'evt-00004']]);
      expect(verifyAll(log, seals)).toMatchObject({ ok: true, eventsChecked: 6 });
    });
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
    await expect(sealAuditLog(sealing(log, seals, 100, { batchSize: 8, maxBatchSize: 4 }))).rejects.toThrow(
      /maxBatchSize an integer ≥ batchSize \(8\), found 4/,
    );
    expect(seals.head.version).toBe(0);
  });
});
