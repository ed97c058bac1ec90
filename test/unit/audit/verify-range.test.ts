import { beforeAll, describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { canonicalJsonBytes } from '#core/audit/canonical.ts';
import { checkpointHash, type SealedBatch, type SealedLeaf, sealBatch } from '#core/audit/checkpoint.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { leafHash, rootHash } from '#core/audit/merkle.ts';
import {
  type AuditFinding,
  archivedEventFindings,
  checkArchivedCheckpoint,
  type VerifyAuditRangeInput,
  verifyAuditRange,
} from '#core/audit/verify-range.ts';
import { base64url, signCompactJws } from '#core/jws.ts';
import { auditEvents } from './fixtures.ts';

const signer = new SoftwareEs256Signer('audit-seal-1');
const logId = 'audit-main';
const sealedAt = new Date('2025-03-01T09:00:00.000Z');
const BATCH = 6;

let batches: SealedBatch[];
let events: AuditEvent[];

beforeAll(async () => {
  events = auditEvents(0, 3 * BATCH);
  batches = [];
  for (let seq = 0; seq < 3; seq++) {
    batches.push(
      await sealBatch(
        {
          logId,
          seq,
          events: events.slice(seq * BATCH, (seq + 1) * BATCH),
          previous: batches[seq - 1]?.checkpoint ?? null,
          sealedAt,
        },
        signer,
      ),
    );
  }
});

/** The whole log as stored, as a fresh copy the test may tamper with. */
function stored(): { events: Record<string, unknown>[]; input: VerifyAuditRangeInput } {
  const copy = structuredClone(events) as unknown as Record<string, unknown>[];
  return {
    events: copy,
    input: {
      logId,
      events: copy,
      batches: batches.map((b) => ({ checkpoint: b.checkpoint, manifest: structuredClone(b.manifest) })),
      publicJwks: [signer.publicJwk],
      anchor: null,
    },
  };
}

const kinds = (findings: AuditFinding[]) => findings.map((f) => f.kind);

describe('an untouched log', () => {
  it('verifies with no findings', () => {
    const report = verifyAuditRange(stored().input);
    expect(report).toEqual({ ok: true, findings: [], eventsChecked: 18, batchesChecked: 3 });
  });

  it('verifies from the middle when anchored on the checkpoint before the range', () => {
    const { input } = stored();
    const report = verifyAuditRange({
      ...input,
      events: input.events.slice(BATCH),
      batches: input.batches.slice(1),
      anchor: batches[0]!.checkpoint,
    });
    expect(report.findings).toEqual([]);
  });
});

describe('tampering with stored events is detected and named', () => {
  it('an edited field: event-changed, for that event only', () => {
    const { events: copy, input } = stored();
    copy[8]!.outcome = 'denied';
    expect(verifyAuditRange(input).findings).toEqual([
      { kind: 'event-changed', eventId: 'evt-00008', seq: 1, leafIndex: 2, storedPosition: 8 },
    ]);
  });

  it('an edited nested field or a field added: event-changed', () => {
    const { events: copy, input } = stored();
    (copy[3]!.details as Record<string, unknown>).attempt = 2;
    copy[15]!.note = 'added later';
    expect(verifyAuditRange(input).findings).toEqual([
      { kind: 'event-changed', eventId: 'evt-00003', seq: 0, leafIndex: 3, storedPosition: 3 },
      { kind: 'event-changed', eventId: 'evt-00015', seq: 2, leafIndex: 3, storedPosition: 15 },
    ]);
  });

  it('a deleted event: event-dropped, with where it was sealed', () => {
    const { events: copy, input } = stored();
    copy.splice(10, 1);
    expect(verifyAuditRange(input).findings).toEqual([
      { kind: 'event-dropped', eventId: 'evt-00010', time: '2025-03-01T08:00:10.000Z', seq: 1, leafIndex: 4 },
    ]);
  });

  it('an inserted event: event-inserted, and a duplicated one too', () => {
    const { events: copy, input } = stored();
    copy.splice(4, 0, { ...copy[4], id: 'evt-forged' });
    copy.push(structuredClone(copy[0]!));
    expect(verifyAuditRange(input).findings).toEqual([
      {
        kind: 'event-inserted',
        eventId: 'evt-forged',
        storedPosition: 4,
        detail: 'id not in any sealed batch',
      },
      { kind: 'event-inserted', eventId: 'evt-00000', storedPosition: 19, detail: 'id already seen' },
    ]);
  });

  it('an inserted record without an id: event-inserted with no id', () => {
    const { events: copy, input } = stored();
    copy.push({ action: 'license.issued' });
    expect(kinds(verifyAuditRange(input).findings)).toEqual(['event-inserted']);
  });

  it('two neighbours swapped: event-reordered, naming the one that moved', () => {
    const { events: copy, input } = stored();
    [copy[6], copy[7]] = [copy[7]!, copy[6]!];
    const findings = verifyAuditRange(input).findings;
    expect(kinds(findings)).toEqual(['event-reordered']);
    expect(['evt-00006', 'evt-00007']).toContain((findings[0] as { eventId: string }).eventId);
  });

  it('two distant events swapped: event-reordered for both', () => {
    const { events: copy, input } = stored();
    [copy[2], copy[13]] = [copy[13]!, copy[2]!];
    const findings = verifyAuditRange(input).findings;
    expect(findings).toEqual([
      {
        kind: 'event-reordered',
        eventId: 'evt-00013',
        seq: 2,
        leafIndex: 1,
        sealedRank: 13,
        storedPosition: 2,
      },
      {
        kind: 'event-reordered',
        eventId: 'evt-00002',
        seq: 0,
        leafIndex: 2,
        sealedRank: 2,
        storedPosition: 13,
      },
    ]);
  });

  it('one event moved far: only that event is reordered, not those it jumped over', () => {
    const { events: copy, input } = stored();
    copy.push(copy.splice(1, 1)[0]!);
    expect(verifyAuditRange(input).findings).toEqual([
      {
        kind: 'event-reordered',
        eventId: 'evt-00001',
        seq: 0,
        leafIndex: 1,
        sealedRank: 1,
        storedPosition: 17,
      },
    ]);
  });

  it('several tamperings at once are each reported', () => {
    const { events: copy, input } = stored();
    copy[0]!.action = 'license.revoked';
    copy.splice(9, 1);
    copy.push({ ...copy[5], id: 'evt-extra' });
    expect(kinds(verifyAuditRange(input).findings).sort()).toEqual([
      'event-changed',
      'event-dropped',
      'event-inserted',
    ]);
  });
});

describe('tampering with the sealed evidence is detected and named', () => {
  it('a checkpoint edited without the key: bad signature, and the next checkpoint no longer links to it', () => {
    const { input } = stored();
    const [h, p, s] = input.batches[1]!.checkpoint.split('.') as [string, string, string];
    const body = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const edited = `${h}.${base64url(JSON.stringify({ ...body, treeSize: 5 }))}.${s}`;
    const report = verifyAuditRange({
      ...input,
      batches: input.batches.map((b, i) => (i === 1 ? { ...b, checkpoint: edited } : b)),
    });
    expect(kinds(report.findings)).toEqual([
      'checkpoint-bad-signature',
      'manifest-mismatch',
      'checkpoint-chain-broken',
    ]);
    expect(report.findings[0]).toMatchObject({ batch: 1, seq: 1, failures: [{ check: 'signature' }] });
    expect(report.findings[2]).toMatchObject({ batch: 2, seq: 2 });
  });

  it('history rewritten and re-sealed with the real key: the chain breaks at the next checkpoint', async () => {
    const { events: copy, input } = stored();
    copy[7]!.outcome = 'denied';
    const resealed = await sealBatch(
      {
        logId,
        seq: 1,
        events: copy.slice(BATCH, 2 * BATCH) as unknown as AuditEvent[],
        previous: batches[0]!.checkpoint,
        sealedAt,
      },
      signer,
    );
    const report = verifyAuditRange({
      ...input,
      batches: input.batches.map((b, i) =>
        i === 1 ? { checkpoint: resealed.checkpoint, manifest: resealed.manifest } : b,
      ),
    });
    expect(report.findings).toEqual([
      {
        kind: 'checkpoint-chain-broken',
        batch: 2,
        seq: 2,
        expected: expect.any(String),
        found: batches[2]!.body.previous,
      },
    ]);
  });

  /**
   * A batch signed with the real key over events the chain sealed already, chained to the
   * chain's end: what a sealer led back by an edited head would sign (sealBatch itself refuses).
   */
  async function resealedAfter(end: SealedBatch, events: readonly Record<string, unknown>[]) {
    const hashes = events.map((e) => leafHash(canonicalJsonBytes(e)));
    const ends = (e: Record<string, unknown>) => ({ id: e.id as string, time: e.time as string });
    const body = {
      logId,
      seq: end.body.seq + 1,
      treeSize: events.length,
      rootHash: base64url(rootHash(hashes)),
      firstEvent: ends(events[0]!),
      lastEvent: ends(events.at(-1)!),
      previous: checkpointHash(end.checkpoint),
      sealedAt: sealedAt.toISOString(),
    };
    const checkpoint = await signCompactJws({ typ: 'audit-checkpoint+jws' }, body, signer);
    const manifest = events.map((e, i) => ({ ...ends(e), hash: base64url(hashes[i]!) }));
    return { checkpoint, manifest };
  }

  it('history rewritten and sealed again after the chain’s end: overlap with the anchor it chains to', async () => {
    const { events: copy, input } = stored();
    copy[2]!.outcome = 'denied';
    const rewritten = copy.slice(0, 6);
    rewritten.splice(4, 1);
    const resealed = await resealedAfter(batches[2]!, rewritten);

    // The batch items of seq 0–2 hidden: a range sees only the new batch and its anchor.
    const report = verifyAuditRange({
      ...input,
      events: rewritten,
      batches: [resealed],
      anchor: batches[2]!.checkpoint,
    });

    expect(report.findings).toEqual([
      {
        kind: 'checkpoint-overlap',
        batch: 0,
        seq: 3,
        previousLastEvent: { id: 'evt-00017', time: events[17]!.time },
        firstEvent: { id: 'evt-00000', time: events[0]!.time },
      },
    ]);
  });

  it('events sealed again in a later batch: overlap, and each id in two leaves named', async () => {
    const { input } = stored();
    const resealed = await resealedAfter(batches[2]!, input.events.slice(3, 5) as Record<string, unknown>[]);

    const report = verifyAuditRange({ ...input, batches: [...input.batches, resealed] });

    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'checkpoint-overlap', batch: 3, seq: 3 }),
      {
        kind: 'event-sealed-twice',
        eventId: 'evt-00003',
        seq: 3,
        leafIndex: 0,
        first: { seq: 0, leafIndex: 3 },
      },
      {
        kind: 'event-sealed-twice',
        eventId: 'evt-00004',
        seq: 3,
        leafIndex: 1,
        first: { seq: 0, leafIndex: 4 },
      },
    ]);
  });

  it('a checkpoint signed by a key we do not hold: bad signature naming kid', async () => {
    const { input } = stored();
    const forged = await signCompactJws(
      { typ: 'audit-checkpoint+jws' },
      { ...batches[2]!.body },
      new SoftwareEs256Signer('x'),
    );
    const report = verifyAuditRange({
      ...input,
      batches: input.batches.map((b, i) => (i === 2 ? { ...b, checkpoint: forged } : b)),
    });
    expect(report.findings).toEqual([
      {
        kind: 'checkpoint-bad-signature',
        batch: 2,
        seq: 2,
        failures: [{ check: 'kid', expected: 'audit-seal-1', found: 'x' }],
      },
    ]);
  });

  it('a whole batch removed with its events: sequence gap and broken chain', () => {
    const { input } = stored();
    const report = verifyAuditRange({
      ...input,
      events: [...input.events.slice(0, BATCH), ...input.events.slice(2 * BATCH)],
      batches: [input.batches[0]!, input.batches[2]!],
    });
    expect(kinds(report.findings)).toEqual(['checkpoint-sequence-gap', 'checkpoint-chain-broken']);
    expect(report.findings[0]).toEqual({
      kind: 'checkpoint-sequence-gap',
      batch: 1,
      expectedSeq: 1,
      foundSeq: 2,
    });
  });

  it('a checkpoint removed but its events kept: the gap, and the events as inserted', () => {
    const { input } = stored();
    const report = verifyAuditRange({ ...input, batches: [input.batches[0]!, input.batches[2]!] });
    expect(kinds(report.findings)).toEqual([
      'checkpoint-sequence-gap',
      'checkpoint-chain-broken',
      ...new Array(BATCH).fill('event-inserted'),
    ]);
  });

  it('a range that starts mid-log without its anchor is not taken as the log start', () => {
    const { input } = stored();
    const report = verifyAuditRange({
      ...input,
      events: input.events.slice(BATCH),
      batches: input.batches.slice(1),
    });
    expect(kinds(report.findings)).toEqual(['checkpoint-sequence-gap', 'checkpoint-chain-broken']);
  });

  it('an anchor that does not verify is reported as batch -1', () => {
    const { input } = stored();
    const [h, p] = batches[0]!.checkpoint.split('.');
    const report = verifyAuditRange({
      ...input,
      events: input.events.slice(BATCH),
      batches: input.batches.slice(1),
      anchor: `${h}.${p}.${base64url(Buffer.alloc(64))}`,
    });
    expect(kinds(report.findings)).toEqual(['checkpoint-bad-signature', 'checkpoint-chain-broken']);
    expect(report.findings[0]).toMatchObject({ batch: -1, seq: 0 });
  });

  it('an event edited and its manifest leaf rewritten to match: manifest mismatch against the signed root', () => {
    const { events: copy, input } = stored();
    copy[4]!.outcome = 'failed';
    const manifest = input.batches[0]!.manifest as SealedLeaf[];
    manifest[4]!.hash = base64url(leafHash(canonicalJsonBytes(copy[4])));
    const report = verifyAuditRange(input);
    expect(report.findings).toEqual([
      {
        kind: 'manifest-mismatch',
        batch: 0,
        seq: 0,
        detail: expect.stringMatching(/^expected the signed root/),
      },
    ]);
  });

  it('a checkpoint from another log: wrong log', async () => {
    const { input } = stored();
    const report = verifyAuditRange({ ...input, logId: 'audit-other' });
    expect(kinds(report.findings)).toEqual([
      'checkpoint-wrong-log',
      'checkpoint-wrong-log',
      'checkpoint-wrong-log',
    ]);
  });
});

describe('a batch archived beside another at one sequence number', () => {
  const evidence = (seq = 1, batch = batches[1]!) => ({
    seq,
    checkpointHash: checkpointHash(batch.checkpoint),
    checkpoint: batch.checkpoint,
  });
  /** Batch 1 as archived, with its verified body and manifest. */
  const archived = () => ({
    ...evidence(),
    body: batches[1]!.body,
    manifest: structuredClone(batches[1]!.manifest),
  });

  it('is the sealer’s as filed: signed, of this log and number, under its own hash', () => {
    const checked = checkArchivedCheckpoint(evidence(), logId, [signer.publicJwk]);
    expect(checked).toMatchObject({ ok: true, body: { seq: 1, logId, treeSize: BATCH } });
  });

  it('names what is wrong with one that is not', () => {
    const detail = (input: ReturnType<typeof evidence>, keys = [signer.publicJwk], log = logId) => {
      const checked = checkArchivedCheckpoint(input, log, keys);
      return checked.ok ? 'ok' : checked.finding.detail;
    };
    expect(detail(evidence(2))).toBe('filed under seq 2, signed as 1');
    expect(detail(evidence(), [signer.publicJwk], 'audit-other')).toBe(
      'expected log audit-other, found audit-main',
    );
    expect(detail({ ...evidence(), checkpointHash: 'A'.repeat(43) })).toBe(
      `filed under ${'A'.repeat(43)}, hashes to ${checkpointHash(batches[1]!.checkpoint)}`,
    );
    expect(detail(evidence(), [new SoftwareEs256Signer('audit-seal-1').publicJwk])).toMatch(/^signature: /);
    expect(checkArchivedCheckpoint({ ...evidence(), seq: 2 }, logId, [signer.publicJwk])).toMatchObject({
      ok: false,
      finding: {
        kind: 'archived-batch-invalid',
        seq: 2,
        checkpointHash: checkpointHash(batches[1]!.checkpoint),
      },
    });
  });

  it('names a manifest that does not reproduce its checkpoint, and judges no event by it', () => {
    const short = archived();
    short.manifest.pop();
    expect(archivedEventFindings(short, [])).toEqual([
      {
        kind: 'archived-batch-invalid',
        seq: 1,
        checkpointHash: checkpointHash(batches[1]!.checkpoint),
        detail: `manifest: expected ${BATCH} leaves as signed, found ${BATCH - 1}`,
      },
    ]);
  });

  it('names each event it sealed that the log no longer holds, or holds changed, and nothing when all are there', () => {
    const span = structuredClone(events.slice(BATCH, 2 * BATCH)) as unknown as Record<string, unknown>[];
    expect(archivedEventFindings(archived(), span)).toEqual([]);
    // Another event of the log beside them changes nothing.
    expect(archivedEventFindings(archived(), [...span, events[0]])).toEqual([]);

    const [, second, third, ...rest] = span;
    const changed = { ...third!, outcome: 'denied' };
    const findings = archivedEventFindings(archived(), [changed, ...rest]);

    const place = (event: unknown) => ({
      seq: 1,
      checkpointHash: checkpointHash(batches[1]!.checkpoint),
      eventId: (event as AuditEvent).id,
      time: (event as AuditEvent).time,
    });
    expect(findings).toEqual([
      { kind: 'archived-event-missing', ...place(span[0]) },
      { kind: 'archived-event-missing', ...place(second) },
      { kind: 'archived-event-changed', ...place(third) },
    ]);
  });
});
