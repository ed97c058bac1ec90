// The access history's grant streams under their bound (lastEventHour): a page reads a grant's
// stream only once it may hold an event the page needs, and hands out exactly what reading every
// grant's stream (the merge for grants stored before the bound was kept) hands out.
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readAccessHistory } from '#app/access-history.ts';
import { createHolderGrant, revokeHolderGrant } from '#app/holder-grants.ts';
import { openHolderLicense } from '#app/holder-licenses.ts';
import { retrieveLicense } from '#app/retrieve-license.ts';
import { StoreBusy } from '#core/storage-errors.ts';
import { DEMO_LICENSES, DEMO_USCC } from '#dev/demo/catalog.ts';
import { ACCOUNTS, HolderWorld } from './holder-fakes.ts';

const [ZHANG_CARD] = DEMO_LICENSES;
const BASE = Date.parse('2025-06-01T00:00:00.000Z');
const MINUTE = 60_000;

let world: HolderWorld;
beforeEach(async () => {
  world = await HolderWorld.create();
});
const deps = () => world.holderDeps();

function at(minutes: number): void {
  world.clock.set(new Date(BASE + minutes * MINUTE).toISOString());
}

async function grantOf(licenseId: string, scope: 'license' | 'type') {
  return createHolderGrant(
    {
      account: ACCOUNTS.zhang,
      scope: scope === 'license' ? { licenseId } : { typeCode: ZHANG_CARD!.typeCode },
      relyingAgency: DEMO_USCC.housingProvidentFundCentre,
      purpose: '办理住房公积金提取',
      fields: ['姓名'],
      expiresAt: '2027-01-01T00:00:00.000Z',
      maxUses: 2,
    },
    deps(),
  );
}

/** A use of the grant's code by an agency it was not given to: refused, and recorded under the grant. */
async function misuse(code: string, licenseId: string): Promise<void> {
  await expect(
    retrieveLicense(
      {
        requester: { agency: DEMO_USCC.vehicleAdministration, keyId: 'k' },
        target: { licenseId },
        basis: { grant: { code } },
      },
      deps(),
    ),
  ).rejects.toMatchObject({ code: 'GRANT_NOT_FOR_AGENCY' });
}

/** Every page, with the grant streams each read. */
async function walk(request: { limit: number; licenseId?: string }) {
  const reads = vi.spyOn(world.licenseAudit, 'readByGrant');
  const pages: { ids: string[]; grantReads: number }[] = [];
  let cursor: string | undefined;
  try {
    do {
      reads.mockClear();
      const page = await readAccessHistory(
        { account: ACCOUNTS.zhang, ...request, ...(cursor === undefined ? {} : { cursor }) },
        deps(),
      );
      pages.push({ ids: page.items.map((e) => e.eventId), grantReads: reads.mock.calls.length });
      cursor = page.cursor;
    } while (cursor !== undefined && pages.length < 1000);
  } finally {
    reads.mockRestore();
  }
  expect(cursor).toBeUndefined();
  return pages;
}

describe('access history under the grants’ bounds', () => {
  it('reads about a page’s worth of grant streams a page among 500 grants, most idle for long', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const grants: { id: string; code: string }[] = [];
    for (let i = 0; i < 500; i += 1) {
      at(i * 60);
      const { grant, code } = await grantOf(card.id, i % 2 === 0 ? 'type' : 'license');
      grants.push({ id: grant.value.id, code });
    }
    // Long after, an old grant's code is tried: its stream's bound moves up to now.
    at(600 * 60);
    await misuse(grants[3]!.code, card.id);

    const bounded = await walk({ limit: 10 });
    const first = await readAccessHistory({ account: ACCOUNTS.zhang, limit: 10 }, deps());
    expect(first.items[0]).toMatchObject({ outcome: 'denied', basis: { grantId: grants[3]!.id } });
    // A page of 10 reads the streams of the grants it shows; of the next (made within the hour of the
    // page's last event, so its bound reaches it); of the one at its position (below the first
    // page); and of the grant tried lately, whose bound is above every page: 13, not 500.
    expect(Math.max(...bounded.map((p) => p.grantReads))).toBeLessThanOrEqual(13);

    for (const { id } of grants) world.grants.forgetLastEventHour(id);
    const unbounded = await walk({ limit: 10 });
    expect(unbounded[0]!.grantReads).toBe(500);
    expect(bounded.flatMap((p) => p.ids)).toEqual(unbounded.flatMap((p) => p.ids));
    // The 500 creations and the refusal.
    expect(bounded.flatMap((p) => p.ids)).toHaveLength(501);
  });

  it('a refusal on a grant stored before the bound was kept gives it one; the refusal shows first', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant, code } = await grantOf(card.id, 'type');
    world.grants.forgetLastEventHour(grant.value.id);
    at(3 * 60 + 30);
    await misuse(code, card.id);

    expect((await world.grants.getStored(grant.value.id))?.lastEventHour).toBe('2025-06-01T03');
    const history = await readAccessHistory({ account: ACCOUNTS.zhang, limit: 1 }, deps());
    expect(history.items[0]).toMatchObject({ outcome: 'denied', time: '2025-06-01T03:30:00.000Z' });
  });

  it('raises the bound before the refusal is written; a raise that fails leaves the use refused and nothing written', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant, code } = await grantOf(card.id, 'license');
    at(5 * 60);
    const events = world.audit.events.length;
    const raise = vi
      .spyOn(world.grants, 'raiseLastEventHour')
      .mockRejectedValueOnce(new StoreBusy('raise-last-event-hour', ['ThrottlingError']));

    await expect(
      retrieveLicense(
        {
          requester: { agency: DEMO_USCC.vehicleAdministration, keyId: 'k' },
          target: { licenseId: card.id },
          basis: { grant: { code } },
        },
        deps(),
      ),
    ).rejects.toBeInstanceOf(StoreBusy);
    // Nothing disclosed, and no event the history could miss under a bound too old.
    expect(world.audit.events).toHaveLength(events);
    expect((await world.grants.getStored(grant.value.id))?.lastEventHour).toBe('2025-06-01T02');

    raise.mockRestore();
    await misuse(code, card.id);
    expect(world.audit.events).toHaveLength(events + 1);
    expect((await world.grants.getStored(grant.value.id))?.lastEventHour).toBe('2025-06-01T05');
  });

  it('a revocation sets the bound to its hour', async () => {
    const card = await world.issue(ZHANG_CARD!);
    const { grant } = await grantOf(card.id, 'type');
    at(7 * 60 + 1);
    await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: grant.value.id }, deps());
    expect((await world.grants.getStored(grant.value.id))?.lastEventHour).toBe('2025-06-01T07');
  });

  it('hands out exactly what reading every grant stream hands out, for every page size, narrowed or not', async () => {
    const history = fc.record({
      grants: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 1200 }),
          scope: fc.constantFrom('license' as const, 'type' as const),
          // Stored before the bound was kept: none until an event sets one.
          unbounded: fc.boolean(),
          revokeAfter: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
          misuses: fc.array(fc.integer({ min: 0, max: 2400 }), { maxLength: 3 }),
        }),
        { minLength: 1, maxLength: 7 },
      ),
      opens: fc.array(fc.integer({ min: 0, max: 2400 }), { maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(history, async ({ grants, opens }) => {
        world = await HolderWorld.create();
        at(0);
        const card = await world.issue(ZHANG_CARD!);
        type Step = { at: number; run: () => Promise<void> };
        const steps: Step[] = opens.map((minute) => ({
          at: minute,
          run: async () => {
            await openHolderLicense({ account: ACCOUNTS.zhang, licenseId: card.id }, deps());
          },
        }));
        const made: { id: string; code: string }[] = [];
        grants.forEach((g, i) => {
          steps.push({
            at: g.at,
            run: async () => {
              const { grant, code } = await grantOf(card.id, g.scope);
              if (g.unbounded) world.grants.forgetLastEventHour(grant.value.id);
              made[i] = { id: grant.value.id, code };
            },
          });
          if (g.revokeAfter !== undefined) {
            steps.push({
              at: g.at + g.revokeAfter,
              run: async () => {
                await revokeHolderGrant({ account: ACCOUNTS.zhang, grantId: made[i]!.id }, deps());
              },
            });
          }
          for (const after of g.misuses) {
            steps.push({ at: g.at + after, run: () => misuse(made[i]!.code, card.id) });
          }
        });
        // In time order; a grant's creation before its own steps at the same minute (stable sort).
        for (const step of steps.sort((a, b) => a.at - b.at)) {
          at(step.at);
          await step.run();
        }
        at(5000);

        const requests = [{}, { licenseId: card.id }];
        const bounded = [];
        for (const request of requests) {
          for (const limit of [1, 2, 3, 5, 8, 50]) bounded.push(await walk({ ...request, limit }));
        }
        for (const { id } of made) world.grants.forgetLastEventHour(id);
        let n = 0;
        for (const request of requests) {
          const everything = (await walk({ ...request, limit: 100 })).flatMap((p) => p.ids);
          expect(new Set(everything).size).toBe(everything.length);
          for (const limit of [1, 2, 3, 5, 8, 50]) {
            const pages = bounded[n++]!;
            const unbounded = await walk({ ...request, limit });
            // Same pages, item for item (the bounded walk may end with one empty page more).
            expect(pages.map((p) => p.ids).filter((ids) => ids.length > 0)).toEqual(
              unbounded.map((p) => p.ids).filter((ids) => ids.length > 0),
            );
            expect(pages.flatMap((p) => p.ids)).toEqual(everything);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
