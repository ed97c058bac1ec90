import { beforeEach, describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { sealAuditLog } from '#app/seal-audit-log.ts';
import {
  AuditRangeInvalid,
  type AuditVerification,
  judgeArchivedBeyondHead,
  verifyAuditLog,
  verifyAuditLogGroups,
} from '#app/verify-audit-log.ts';
import { canonicalJsonBytes } from '#core/audit/canonical.ts';
import { checkpointHash } from '#core/audit/checkpoint.ts';
import { leafHash, rootHash } from '#core/audit/merkle.ts';
import { base64url, signCompactJws } from '#core/jws.ts';
import { SealChainMoved } from '#ports/audit-seal-store.ts';
import { StoredItemInvalid } from '#ports/stored-item-invalid.ts';
import { auditEvent } from '../audit/fixtures.ts';
import { MemoryAuditLog, MemorySealStore } from './audit-fakes.ts';

const signer = new SoftwareEs256Signer('platform-test');
const LOG = 'elicense-test-audit';
// auditEvent(n) is stamped n seconds after this.
const T0 = Date.parse('2025-03-01T08:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

let log: MemoryAuditLog;
let seals: MemorySealStore;
let deps: AuditVerification;

/** A sealer run at T0 + `seconds`. */
function sealAt(seconds: number) {
  return sealAuditLog({
    log,
    seals,
    keys: { platformKey: async () => ({ keyRef: 'local:platform', signer, publicJwk: signer.publicJwk }) },
    logId: LOG,
    now: () => new Date(T0 + seconds * 1000),
    settleSeconds: 60,
    batchSize: 5,
    maxBatchSize: 5,
    runSeconds: 40,
    maxBatchesPerRun: 10,
    origin: () => new Date(T0),
  });
}

/** 20 events, one a second, sealed in batches of 5 by a run at T0 + 200 s; two more after that. */
beforeEach(async () => {
  log = new MemoryAuditLog();
  seals = new MemorySealStore();
  log.add(...Array.from({ length: 20 }, (_, n) => auditEvent(n)));
  await sealAt(200);
  log.add({ ...auditEvent(20), time: iso(150) }, { ...auditEvent(21), time: iso(160) });
  deps = { log, seals, logId: LOG, publicJwks: [signer.publicJwk] };
});

const stored = (id: string) => log.stored.find((s) => s.id === id)!;

/** The verification over the seal store, with some of its reads replaced: a race, a fault. */
const withSeals = (replaced: Partial<AuditVerification['seals']>): AuditVerification => ({
  ...deps,
  seals: {
    readHead: () => seals.readHead(),
    batchesCovering: (range) => seals.batchesCovering(range),
    archivedCheckpointsBetween: (fromSeq, toSeq, options) =>
      seals.archivedCheckpointsBetween(fromSeq, toSeq, options),
    archivedCheckpoint: (seq, hash) => seals.archivedCheckpoint(seq, hash),
    archivedManifest: (seq, hash) => seals.archivedManifest(seq, hash),
    ...replaced,
  },
});

describe('verifyAuditLog', () => {
  it('finds nothing in an untouched log and counts the events the sealer has not reached', async () => {
    const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, deps);
    expect(report).toMatchObject({
      ok: true,
      eventsChecked: 20,
      batchesChecked: 4,
      pendingEvents: 2,
      sealedThrough: iso(140),
      findings: [],
    });
  });

  it('checks whole batches: a range inside the log widens to its batches and starts from the anchor', async () => {
    const report = await verifyAuditLog({ from: new Date(iso(7)), to: new Date(iso(12)) }, deps);
    expect(report).toMatchObject({
      ok: true,
      checked: { from: iso(5), to: new Date(T0 + 14_001).toISOString() },
      eventsChecked: 10,
      batchesChecked: 2,
    });
  });

  it('names a changed, a dropped, an inserted and the reordered events', async () => {
    (stored('evt-00003').event as { outcome: string }).outcome = 'denied';
    log.stored.splice(
      log.stored.findIndex((s) => s.id === 'evt-00008'),
      1,
    );
    log.add({ ...auditEvent(99), time: iso(12.5) });
    // 15, 16, 17 stored as 17, 16, 15: moving two of them (16 and 17) restores seal order.
    const a = stored('evt-00015');
    const b = stored('evt-00017');
    [a.event, b.event] = [b.event, a.event];

    const report = await verifyAuditLog({ from: new Date(T0), to: new Date(iso(20)) }, deps);

    expect(report.ok).toBe(false);
    const byKind = (kind: string) =>
      report.findings.filter((f) => f.kind === kind).map((f) => ('eventId' in f ? f.eventId : null));
    expect(byKind('event-changed')).toEqual(['evt-00003']);
    expect(byKind('event-dropped')).toEqual(['evt-00008']);
    expect(byKind('event-inserted')).toEqual(['evt-00099']);
    expect(byKind('event-reordered').sort()).toEqual(['evt-00016', 'evt-00017']);
    expect(report.findings).toHaveLength(5);
  });

  it('notices a batch dropped from the store at the start of the range by its anchor', async () => {
    seals.batches.splice(1, 1);
    const report = await verifyAuditLog({ from: new Date(iso(10)), to: new Date(iso(15)) }, deps);
    expect(report.findings.map((f) => f.kind)).toContain('checkpoint-chain-broken');
  });

  describe('a range no batch touches', () => {
    /** Removes the batches of these seqs from the store and the events they sealed from the log. */
    function removeBatches(...seqs: number[]): void {
      for (const seq of seqs) {
        const [victim] = seals.batches.splice(
          seals.batches.findIndex((b) => b.seq === seq),
          1,
        );
        const ids = new Set(victim!.manifest.map((l) => l.id));
        log.stored.splice(0, log.stored.length, ...log.stored.filter((s) => !ids.has(s.id)));
      }
    }
    const kinds = (report: { findings: { kind: string }[] }) => report.findings.map((f) => f.kind);

    it('verifies clean between two batches, before the first and after the last', async () => {
      for (const [from, to] of [
        [-10, 0],
        [141, 145],
        [19.5, 140],
      ] as const) {
        const report = await verifyAuditLog({ from: new Date(iso(from)), to: new Date(iso(to)) }, deps);
        expect(report).toMatchObject({ ok: true, eventsChecked: 0, batchesChecked: 0, findings: [] });
      }
    });

    it('notices a batch deleted with its events: the chain from the batch before does not reach the next', async () => {
      removeBatches(1);
      const report = await verifyAuditLog({ from: new Date(iso(4.5)), to: new Date(iso(9.5)) }, deps);
      expect(report).toMatchObject({ ok: false, eventsChecked: 0 });
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 1, foundSeq: 2 },
      ]);
    });

    it('notices every batch of a longer span deleted with its events', async () => {
      removeBatches(1, 2);
      const report = await verifyAuditLog({ from: new Date(iso(4.5)), to: new Date(iso(14.5)) }, deps);
      expect(kinds(report)).toEqual(['checkpoint-sequence-gap']);
    });

    it('notices the first batch deleted: the next one is not seq 0', async () => {
      removeBatches(0);
      const report = await verifyAuditLog({ from: new Date(iso(-1)), to: new Date(iso(4.5)) }, deps);
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 0, foundSeq: 1 },
      ]);
    });

    it('notices the last batch deleted: the batch before is not the head', async () => {
      removeBatches(3);
      const report = await verifyAuditLog({ from: new Date(iso(14.5)), to: new Date(iso(19.5)) }, deps);
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 3, foundSeq: 2 },
      ]);
    });

    it('notices every batch deleted', async () => {
      removeBatches(0, 1, 2, 3);
      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(iso(20)) }, deps);
      expect(report.findings).toEqual([
        { kind: 'checkpoint-sequence-gap', batch: 0, expectedSeq: 3, foundSeq: -1 },
      ]);
    });
  });

  describe('while the sealer appends', () => {
    /** The store as a verifier sees it when a sealer run at T0 + 300 s appends between its reads of the head and the batches. */
    const racing = (): AuditVerification =>
      withSeals({
        batchesCovering: async (range) => {
          await sealAt(300);
          return seals.batchesCovering(range);
        },
      });

    it('judges the chain as of the head it read: a batch appended since then is pending, not tampering', async () => {
      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, racing());
      expect(seals.head.seq).toBe(4);
      expect(report).toMatchObject({
        ok: true,
        eventsChecked: 20,
        batchesChecked: 4,
        pendingEvents: 2,
        sealedThrough: iso(140),
        findings: [],
      });
    });

    it('leaves a range after the head alone when the batch before it was appended since', async () => {
      const report = await verifyAuditLog({ from: new Date(iso(165)), to: new Date(iso(170)) }, racing());
      expect(report).toMatchObject({ ok: true, eventsChecked: 0, pendingEvents: 0, findings: [] });
    });

    it('still notices a head moved back, or deleted, behind batches that were not appended since', async () => {
      const kept = seals.batches[1]!;
      seals.head = {
        version: seals.head.version + 1,
        checkpoint: kept.checkpoint,
        seq: kept.seq,
        lastEvent: kept.lastEvent,
        through: kept.lastEvent.time,
        started: seals.head.started,
      };
      const range = { from: new Date(T0), to: new Date(iso(20)) };
      const rewound = await verifyAuditLog(range, deps);
      expect(rewound.ok).toBe(false);
      expect(rewound.findings.map((f) => f.kind)).toContain('checkpoint-sequence-gap');

      seals.head = { version: 0, checkpoint: null, seq: null, lastEvent: null, through: null, started: null };
      const deleted = await verifyAuditLog(range, deps);
      expect(deleted.ok).toBe(false);
      expect(deleted.findings.map((f) => f.kind)).toContain('checkpoint-sequence-gap');
    });

    it('still follows the chain to the head from a range that ends at it', async () => {
      seals.batches.splice(3, 1);
      const report = await verifyAuditLog({ from: new Date(iso(12)), to: new Date(iso(155)) }, racing());
      expect(report.findings.map((f) => f.kind)).toContain('checkpoint-sequence-gap');
    });
  });

  it('notices the batch after the range signed over events its last batch sealed already', async () => {
    // Chained to batch 3 with the real key, over events 17–19 again: what a sealer led back by an
    // edited head would sign. A range ending before event 17 reads batch 3 only, and meets this
    // one as the batch after it.
    const tail = seals.batches[3]!;
    const again = log.stored.filter((s) => s.time >= iso(17) && s.time <= iso(19));
    const hashes = again.map((s) => leafHash(canonicalJsonBytes(s.event)));
    const ends = (s: (typeof again)[number]) => ({ id: s.id, time: s.time });
    const body = {
      logId: LOG,
      seq: 4,
      treeSize: again.length,
      rootHash: base64url(rootHash(hashes)),
      firstEvent: ends(again[0]!),
      lastEvent: ends(again.at(-1)!),
      previous: checkpointHash(tail.checkpoint),
      sealedAt: iso(300),
    };
    const checkpoint = await signCompactJws({ typ: 'audit-checkpoint+jws' }, body, signer);
    seals.batches.push({
      seq: 4,
      checkpoint,
      manifest: again.map((s, i) => ({ ...ends(s), hash: base64url(hashes[i]!) })),
      firstEvent: body.firstEvent,
      lastEvent: body.lastEvent,
    });

    const report = await verifyAuditLog({ from: new Date(iso(15.5)), to: new Date(iso(16.5)) }, deps);

    expect(report.findings).toContainEqual({
      kind: 'checkpoint-overlap',
      batch: 1,
      seq: 4,
      previousLastEvent: { id: auditEvent(19).id, time: iso(19) },
      firstEvent: { id: auditEvent(17).id, time: iso(17) },
    });
  });

  describe('the newest batches dropped with their events, and the head moved back', () => {
    /** Batches 2 and 3 and their events gone, the head set back to batch 1: the tables agree. */
    function rollBack() {
      const dropped = seals.batches.splice(2);
      const ids = new Set(
        log.stored.filter((s) => s.time >= dropped[0]!.firstEvent.time && s.time <= iso(19)).map((s) => s.id),
      );
      log.stored.splice(0, log.stored.length, ...log.stored.filter((s) => !ids.has(s.id)));
      const kept = seals.batches[1]!;
      seals.head = {
        version: seals.head.version + 1,
        checkpoint: kept.checkpoint,
        seq: kept.seq,
        lastEvent: kept.lastEvent,
        through: kept.lastEvent.time,
        started: seals.head.started,
      };
    }

    it('is found through the archive, which still holds the checkpoint after the head', async () => {
      rollBack();
      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, deps);
      expect(report.ok).toBe(false);
      expect(report.findings).toEqual([
        { kind: 'archived-checkpoint-beyond-head', seq: 2, checkpoints: seals.archive.get(2) },
      ]);
      // The tables alone would pass: without the archive's word the chain is whole.
      const tablesOnly = await verifyAuditLog(
        { from: new Date(T0), to: new Date(T0 + 3_600_000) },
        withSeals({ archivedCheckpointsBetween: async () => new Map() }),
      );
      expect(tablesOnly.ok).toBe(true);
    });

    it('is no finding when the sealer archived the next batch and then moved the head while the verify looked', async () => {
      const before = { ...seals.head };
      await sealAt(300); // archives batch 4 and moves the head to it
      const after = { ...seals.head };
      seals.head = before; // as the verify first sees it: batch 4 archived, the head not yet moved
      const range = { from: new Date(T0), to: new Date(iso(20)) };
      const finishing = withSeals({
        archivedCheckpointsBetween: async (fromSeq, toSeq, options) => {
          const found = await seals.archivedCheckpointsBetween(fromSeq, toSeq, options);
          seals.head = after; // the sealer's second step lands meanwhile
          return found;
        },
      });
      const report = await verifyAuditLog(range, finishing);
      expect(report.findings.map((f) => f.kind)).not.toContain('archived-checkpoint-beyond-head');

      // Nor when the head write lands a moment after the verify first looked again.
      seals.head = before;
      let looks = 0;
      const slow = withSeals({
        readHead: async () => {
          looks += 1;
          if (looks === 4) seals.head = after; // after the two reads and one look past the archive
          return seals.readHead();
        },
      });
      const late = await verifyAuditLog(range, slow);
      expect(late.findings.map((f) => f.kind)).not.toContain('archived-checkpoint-beyond-head');

      // Had the head stayed where it was, the archived batch beyond it would be reported.
      seals.head = before;
      const stalled = await verifyAuditLog(range, deps);
      expect(stalled.findings).toContainEqual({
        kind: 'archived-checkpoint-beyond-head',
        seq: after.seq,
        checkpoints: seals.archive.get(after.seq!),
      });
    });

    /** Ten events after the two pending ones, and a sealer run that seals all twelve. */
    async function sealPastTheGap() {
      log.add(...Array.from({ length: 10 }, (_, k) => ({ ...auditEvent(30 + k), time: iso(170 + k) })));
      await sealAt(400);
    }

    it('is found once the sealer sealed past the gap again: the archive still holds the dropped batches', async () => {
      rollBack();
      await sealPastTheGap();
      // The new chain is as long again: nothing is archived past its head, and the tables agree.
      expect(seals.head.seq).toBe(4);
      expect(seals.archive.get(5)).toBeUndefined();
      const range = { from: new Date(T0), to: new Date(T0 + 3_600_000) };
      const tablesOnly = await verifyAuditLog(
        range,
        withSeals({ archivedCheckpointsBetween: async () => new Map() }),
      );
      expect(tablesOnly.ok).toBe(true);

      const report = await verifyAuditLog(range, deps);

      expect(report.ok).toBe(false);
      const dropped = (seq: number, first: number) =>
        Array.from({ length: 5 }, (_, k) => ({
          kind: 'archived-event-missing',
          seq,
          checkpointHash: seals.archive.get(seq)![0],
          eventId: auditEvent(first + k).id,
          time: iso(first + k),
        }));
      expect(report.findings).toEqual([...dropped(2, 10), ...dropped(3, 15)]);
      // A range holding only the dropped events' times finds them too: no batch of the chain does.
      const narrow = await verifyAuditLog({ from: new Date(iso(12)), to: new Date(iso(13)) }, deps);
      expect(narrow.findings).toEqual(dropped(2, 10));
      // A range after them does not judge them.
      const later = await verifyAuditLog({ from: new Date(iso(150)), to: new Date(iso(200)) }, deps);
      expect(later.ok).toBe(true);
    });

    it('is found from the seq the range’s first batch signs, whatever its item’s seq copy says', async () => {
      rollBack();
      await sealPastTheGap();
      // Batch 1 and the first batch sealed past the gap: the dropped batches 2 and 3 lie between.
      const range = { from: new Date(iso(5)), to: new Date(iso(160)) };
      const missing = async () =>
        (await verifyAuditLog(range, deps)).findings.map((f) => `${f.kind} ${'seq' in f ? f.seq : ''}`);
      const expected = [
        ...Array.from({ length: 5 }, () => 'archived-event-missing 2'),
        ...Array.from({ length: 5 }, () => 'archived-event-missing 3'),
      ];
      expect(await missing()).toEqual(expected);

      // The item's copy is not signed: one past the head would start the look for forks after it.
      seals.batches[1]!.seq = 999;
      expect(await missing()).toEqual(expected);
    });

    it('is found by the next sealer run before it seals past: what the archive holds past the head, judged', async () => {
      const sealerDeps = { log, seals, logId: LOG, publicJwks: [signer.publicJwk] };
      expect(await judgeArchivedBeyondHead(sealerDeps)).toEqual({ beyondHead: 0, checked: 0, findings: [] });

      rollBack();
      const judged = await judgeArchivedBeyondHead(sealerDeps);

      expect(judged).toMatchObject({ beyondHead: 2, checked: 2 });
      expect(judged.findings.map((f) => [f.kind, f.seq, 'eventId' in f ? f.eventId : ''])).toEqual([
        // Two past the head: no run leaves that, whatever its events.
        ['archived-checkpoint-beyond-head', 3, ''],
        ...Array.from({ length: 10 }, (_, k) => [
          'archived-event-missing',
          k < 5 ? 2 : 3,
          auditEvent(10 + k).id,
        ]),
      ]);
    });

    it('is found by the sealer however many batches were dropped, though it reads only the first ten', async () => {
      // 24 batches of 5; the last 12 dropped with the head, the events of only the 11th of them deleted.
      log = new MemoryAuditLog();
      seals = new MemorySealStore();
      log.add(...Array.from({ length: 120 }, (_, n) => auditEvent(n)));
      await sealAt(300);
      await sealAt(360);
      await sealAt(420);
      expect(seals.head.seq).toBe(23);
      seals.batches.splice(12);
      const kept = seals.batches[11]!;
      seals.head = {
        ...seals.head,
        version: seals.head.version + 1,
        checkpoint: kept.checkpoint,
        seq: 11,
        lastEvent: kept.lastEvent,
        through: kept.lastEvent.time,
      };
      const eleventh = new Set(Array.from({ length: 5 }, (_, k) => auditEvent(110 + k).id));
      log.stored.splice(0, log.stored.length, ...log.stored.filter((s) => !eleventh.has(s.id)));

      const judged = await judgeArchivedBeyondHead({
        log,
        seals,
        logId: LOG,
        publicJwks: [signer.publicJwk],
      });

      // The ten read have every event; the eleven past head + 1 give the head away unread.
      expect(judged).toMatchObject({ beyondHead: 12, checked: 10 });
      expect(judged.findings.map((f) => [f.kind, f.seq])).toEqual(
        Array.from({ length: 11 }, (_, k) => ['archived-checkpoint-beyond-head', 13 + k]),
      );
    });

    it('is no finding for the sealer when a run crashed between archiving and moving the head', async () => {
      const before = { ...seals.head };
      await sealAt(300); // archives batch 4 (events 20 and 21) and moves the head to it
      seals.batches.pop();
      seals.head = before; // as if the run had died before its head write

      const judged = await judgeArchivedBeyondHead({
        log,
        seals,
        logId: LOG,
        publicJwks: [signer.publicJwk],
      });

      expect(judged).toEqual({ beyondHead: 1, checked: 1, findings: [] });
    });

    it('finds the start of the log deleted, and its chain sealed again from the origin, from a range before every batch', async () => {
      // Every batch, the head and events 0–4 gone; the sealer starts the chain again from its origin.
      seals.batches.splice(0);
      seals.head = {
        version: seals.head.version + 1,
        checkpoint: null,
        seq: null,
        lastEvent: null,
        through: null,
        started: null,
      };
      const gone = new Set(Array.from({ length: 5 }, (_, k) => auditEvent(k).id));
      log.stored.splice(0, log.stored.length, ...log.stored.filter((s) => !gone.has(s.id)));
      await sealAt(400);
      expect(seals.batches[0]?.firstEvent.id).toBe(auditEvent(5).id);

      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(iso(4.5)) }, deps);

      expect(report.findings).toEqual(
        Array.from({ length: 5 }, (_, k) =>
          expect.objectContaining({ kind: 'archived-event-missing', seq: 0, eventId: auditEvent(k).id }),
        ),
      );
    });

    it('names an event changed and sealed again after the head was moved back', async () => {
      const original = stored(auditEvent(12).id);
      rollBack();
      log.add({ ...(original.event as ReturnType<typeof auditEvent>), outcome: 'denied' });
      await sealPastTheGap();

      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, deps);

      expect(report.findings).toContainEqual({
        kind: 'archived-event-changed',
        seq: 2,
        checkpointHash: seals.archive.get(2)![0],
        eventId: auditEvent(12).id,
        time: iso(12),
      });
      expect(report.findings.filter((f) => f.kind === 'archived-event-missing')).toHaveLength(9);
    });
  });

  describe('the archive holding two batches at one sequence number', () => {
    it('is no finding when two sealer runs raced: the loser archived its batch, whose events are all in the log', async () => {
      let rival: Promise<unknown> | undefined;
      seals.beforeAppend = async () => {
        if (rival !== undefined) return;
        rival = sealAt(310); // wins: seals events 20 and 21 as batch 4 first
        await rival;
      };
      await expect(sealAt(300)).rejects.toBeInstanceOf(SealChainMoved);
      seals.beforeAppend = undefined;
      expect(seals.archive.get(4)).toHaveLength(2);

      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, deps);

      expect(report).toMatchObject({ ok: true, findings: [], batchesChecked: 5 });
    });

    it('names an archived batch that is not the sealer’s as filed', async () => {
      // Batch 2's checkpoint and manifest filed again under seq 1, where batch 1 is.
      const [hash] = seals.archive.get(2)!;
      seals.archive.get(1)!.push(hash!);
      seals.archivedBatches.set(`1/${hash}`, seals.archivedBatches.get(`2/${hash}`)!);

      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(T0 + 3_600_000) }, deps);

      expect(report.findings).toEqual([
        {
          kind: 'archived-batch-invalid',
          seq: 1,
          checkpointHash: hash,
          detail: 'filed under seq 1, signed as 2',
        },
      ]);
    });
  });

  describe('two batches that split one millisecond', () => {
    // Events 4 and 5 share the time 4 s; batches of 5 end batch 0 at event 4 and start batch 1 at event 5.
    beforeEach(async () => {
      log = new MemoryAuditLog();
      seals = new MemorySealStore();
      log.add(...Array.from({ length: 10 }, (_, n) => ({ ...auditEvent(n), time: iso(n === 5 ? 4 : n) })));
      await sealAt(200);
      deps = { log, seals, logId: LOG, publicJwks: [signer.publicJwk] };
      expect(seals.batches.map((b) => [b.lastEvent.time, b.firstEvent.time])).toEqual([
        [iso(4), iso(0)],
        [iso(9), iso(4)],
      ]);
    });

    it('verifies clean a range ending at that millisecond, and one starting just after it', async () => {
      for (const [from, to] of [
        [0, 4],
        [4.001, 20],
        [0, 4.001],
        [4, 20],
      ] as const) {
        const report = await verifyAuditLog({ from: new Date(iso(from)), to: new Date(iso(to)) }, deps);
        expect(report.findings).toEqual([]);
      }
    });

    it('still finds an event inserted between the two batches by any range holding that millisecond', async () => {
      log.add({ ...auditEvent(45), id: 'evt-000045', time: iso(4) });
      for (const [from, to] of [
        [0, 4.001],
        [4, 20],
      ] as const) {
        const report = await verifyAuditLog({ from: new Date(iso(from)), to: new Date(iso(to)) }, deps);
        expect(report.findings).toEqual([
          expect.objectContaining({ kind: 'event-inserted', eventId: 'evt-000045' }),
        ]);
      }
    });
  });

  describe('a stored item that is not what it should be', () => {
    const invalid = (key: string) =>
      new StoredItemInvalid('audit-seals', key, [{ path: 'seq', message: 'expected a number' }]);

    it('is a finding when it is the head or a batch item, and nothing is judged without them', async () => {
      const range = { from: new Date(T0), to: new Date(iso(20)) };
      const badHead = withSeals({
        readHead: async () => {
          throw invalid('H#log / HEAD');
        },
      });
      const badBatch = withSeals({
        batchesCovering: async () => {
          throw invalid('B#log / 2025-03-01T08:00:09.000Z#000000000001');
        },
      });
      for (const [verification, key] of [
        [badHead, 'H#log / HEAD'],
        [badBatch, 'B#log / 2025-03-01T08:00:09.000Z#000000000001'],
      ] as const) {
        const report = await verifyAuditLog(range, verification);
        expect(report).toMatchObject({
          ok: false,
          eventsChecked: 0,
          findings: [
            { kind: 'stored-item-unreadable', key, issues: [{ path: 'seq', message: 'expected a number' }] },
          ],
        });
      }
    });

    it('is a finding when it is an event item, and the events after it are still compared', async () => {
      const at = log.stored.findIndex((s) => s.id === 'evt-00007');
      const unreadable = { key: 'A#2025030108#07 / x', issues: [{ path: 'pk', message: 'moved' }] };
      log.stored[at] = { ...log.stored[at]!, unreadable };
      const report = await verifyAuditLog({ from: new Date(T0), to: new Date(iso(20)) }, deps);
      expect(report.findings).toEqual([
        { kind: 'stored-item-unreadable', ...unreadable },
        { kind: 'event-dropped', eventId: 'evt-00007', time: iso(7), seq: 1, leafIndex: 2 },
      ]);
      expect(report.eventsChecked).toBe(19);
    });
  });

  it('refuses a range that ends before it starts', async () => {
    await expect(verifyAuditLog({ from: new Date(iso(10)), to: new Date(iso(5)) }, deps)).rejects.toThrow(
      AuditRangeInvalid,
    );
  });
});

describe('verifyAuditLogGroups', () => {
  const range = { from: new Date(T0), to: new Date(T0 + 3_600_000) };

  it('sums the chains, names each finding’s chain, and is sealed through the earliest chain’s position', async () => {
    // A second chain of its own events, sealed less far than the first (run at T0 + 100 s).
    const otherLog = new MemoryAuditLog();
    const otherSeals = new MemorySealStore();
    otherLog.add(...Array.from({ length: 6 }, (_, n) => ({ ...auditEvent(100 + n), time: iso(n * 10) })));
    await sealAuditLog({
      log: otherLog,
      seals: otherSeals,
      keys: { platformKey: async () => ({ keyRef: 'local:platform', signer, publicJwk: signer.publicJwk }) },
      logId: `${LOG}-g1of2`,
      now: () => new Date(T0 + 100_000),
      settleSeconds: 60,
      batchSize: 5,
      maxBatchSize: 5,
      runSeconds: 40,
      maxBatchesPerRun: 10,
      origin: () => new Date(T0),
    });
    otherLog.stored.splice(1, 1); // an event of the second chain deleted

    const report = await verifyAuditLogGroups(range, {
      chains: [
        { logId: LOG, log, seals },
        { logId: `${LOG}-g1of2`, log: otherLog, seals: otherSeals },
      ],
      publicJwks: [signer.publicJwk],
    });
    expect(report).toMatchObject({
      ok: false,
      sealGroups: 2,
      // The second chain sealed the events of 0–30 s (settled by its run), one of them since deleted.
      eventsChecked: 20 + 3,
      pendingEvents: 2 + 2,
      sealedThrough: iso(40),
      findings: [{ kind: 'event-dropped', eventId: auditEvent(101).id, logId: `${LOG}-g1of2` }],
    });
    expect(report.chains.map((c) => [c.logId, c.ok, c.findings, c.sealedThrough])).toEqual([
      [LOG, true, 0, iso(140)],
      [`${LOG}-g1of2`, false, 1, iso(40)],
    ]);
  });

  it('is sealed through nothing while any chain was never sealed', async () => {
    const report = await verifyAuditLogGroups(range, {
      chains: [
        { logId: LOG, log, seals },
        { logId: `${LOG}-g1of2`, log: new MemoryAuditLog(), seals: new MemorySealStore() },
      ],
      publicJwks: [signer.publicJwk],
    });
    expect(report).toMatchObject({ ok: true, sealedThrough: null, eventsChecked: 20 });
  });

  it('finds a chain never sealed, while another is, that has events of its own: its sealer never ran', async () => {
    const unsealed = new MemoryAuditLog();
    unsealed.add({ ...auditEvent(300), time: iso(30) }, { ...auditEvent(301), time: iso(31) });
    const report = await verifyAuditLogGroups(range, {
      chains: [
        { logId: LOG, log, seals },
        { logId: `${LOG}-g1of2`, log: unsealed, seals: new MemorySealStore() },
      ],
      publicJwks: [signer.publicJwk],
    });
    expect(report).toMatchObject({
      ok: false,
      sealedThrough: null,
      findings: [{ kind: 'chain-never-sealed', pendingEvents: 2, logId: `${LOG}-g1of2` }],
    });
    expect(report.chains.map((c) => c.findings)).toEqual([0, 1]);

    // A log of one chain not sealed yet is no finding: nothing has begun sealing it.
    const alone = await verifyAuditLogGroups(range, {
      chains: [{ logId: `${LOG}-g1of2`, log: unsealed, seals: new MemorySealStore() }],
      publicJwks: [signer.publicJwk],
    });
    expect(alone).toMatchObject({ ok: true, pendingEvents: 2, findings: [] });
  });

  it('refuses to verify no chain at all', async () => {
    await expect(verifyAuditLogGroups(range, { chains: [], publicJwks: [] })).rejects.toThrow(
      AuditRangeInvalid,
    );
  });
});
