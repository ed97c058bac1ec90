// The per-container answer to "is this license's seal key withdrawn?": agency records cached for
// at most their maximum age, a key once seen withdrawn never seen otherwise, and a kid the cached
// record does not hold read again before it counts as gone.
import { describe, expect, it, vi } from 'vitest';
import { CachedSealStandings, SEAL_STANDING_MAX_AGE_MS } from '#app/seal-standing.ts';
import type { Agency } from '#core/catalog/agency.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';

const PSB = DEMO_USCC.publicSecurityBureau;
const BASE = DEMO_AGENCIES.find((a) => a.uscc === PSB)!;
const KID = BASE.sealKey!.kid;
const WITHDRAWAL = {
  at: '2025-05-31T08:00:00.000Z',
  reason: '备份介质遗失',
  operator: DEMO_USCC.platformOperator,
};

/**
 * A registry of one agency whose record a test replaces, counting reads; `failing` makes the next
 * read fail; while `held`, a read answers the record as it was when asked, once `held` resolves.
 */
function registry(agency: Agency) {
  const state = { agency, reads: 0, failing: false, held: undefined as Promise<void> | undefined };
  const config = {
    getAgency: async (uscc: string) => {
      state.reads += 1;
      if (state.held !== undefined) {
        const asked = state.agency;
        await state.held;
        return uscc === asked.uscc ? { value: asked, version: 1 } : undefined;
      }
      if (state.failing) {
        state.failing = false;
        throw new Error('ProvisionedThroughputExceededException');
      }
      return uscc === state.agency.uscc ? { value: state.agency, version: 1 } : undefined;
    },
  };
  return { state, config };
}

const rotated = (agency: Agency, kid: string, withdrawn?: typeof WITHDRAWAL): Agency => ({
  ...agency,
  sealKey: { keyRef: `${agency.sealKey!.keyRef}-${kid}`, kid },
  previousSealKeys: [{ ...agency.sealKey!, ...(withdrawn ? { withdrawn } : {}) }],
});

/** A promise and the function that resolves it: a read held until the test lets it answer. */
function gate(): [Promise<void>, () => void] {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return [held, release];
}

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe('CachedSealStandings', () => {
  it('reads an agency once within the maximum age, and shows a withdrawal once that age has passed', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { now });

    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    expect(state.reads).toBe(1);

    state.agency = rotated(BASE, 'next', WITHDRAWAL);
    time.now += SEAL_STANDING_MAX_AGE_MS - 1;
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    expect(state.reads).toBe(1);

    time.now += 1;
    expect(await seals.withdrawalOf(PSB, KID)).toEqual({ since: WITHDRAWAL.at });
    expect(state.reads).toBe(2);
  });

  it('keeps a key seen withdrawn withdrawn, whatever a later read says, and reads no more for it', async () => {
    const { state, config } = registry(rotated(BASE, 'next', WITHDRAWAL));
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { now });
    expect(await seals.withdrawalOf(PSB, KID)).toEqual({ since: WITHDRAWAL.at });

    // A record older than the withdrawal (a stale read) must not take the flag away.
    state.agency = BASE;
    time.now += SEAL_STANDING_MAX_AGE_MS * 10;
    expect(await seals.withdrawalOf(PSB, KID)).toEqual({ since: WITHDRAWAL.at });
    expect(state.reads).toBe(1);
  });

  it('reads again, uncached, for a kid the cached record does not hold: a key made since is no withdrawn one', async () => {
    const { state, config } = registry(BASE);
    const seals = new CachedSealStandings(config, { now: clock().now });
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();

    state.agency = rotated(BASE, 'made-since');
    expect(await seals.withdrawalOf(PSB, 'made-since')).toBeUndefined();
    expect(state.reads).toBe(2);
    // The fresh record is cached in turn: the old key, still verifying, costs no further read.
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    expect(state.reads).toBe(2);
  });

  it('makes one fresh read for parallel lookups of a kid newer than the cached record (a holder’s listing)', async () => {
    const { state, config } = registry(BASE);
    const seals = new CachedSealStandings(config, { now: clock().now });
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    state.agency = rotated(BASE, 'made-since');
    const [held, release] = gate();
    state.held = held;

    const lookups = Promise.all(Array.from({ length: 20 }, () => seals.withdrawalOf(PSB, 'made-since')));
    await vi.waitFor(() => expect(state.reads).toBe(2));
    release();

    expect(await lookups).toEqual(Array.from({ length: 20 }, () => undefined));
    expect(state.reads).toBe(2);
  });

  it('shares no fresh read asked before a lookup began: it may predate the rotation that made its kid', async () => {
    const { state, config } = registry(BASE);
    const { time, now } = clock();
    const seals = new CachedSealStandings(config, { now });
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    const [heldFresh, releaseFresh] = gate();
    state.held = heldFresh;
    state.agency = rotated(BASE, 'second');
    // A fresh read for `second`, slow to answer…
    const first = seals.withdrawalOf(PSB, 'second');
    await vi.waitFor(() => expect(state.reads).toBe(2));
    // …while, the cache aged out, another lookup reads the record again, also before the next rotation.
    time.now += SEAL_STANDING_MAX_AGE_MS;
    const [heldCached, releaseCached] = gate();
    state.held = heldCached;
    const other = seals.withdrawalOf(PSB, KID);
    await vi.waitFor(() => expect(state.reads).toBe(3));
    state.held = undefined;

    // Rotated again: a license sealed with the newest key is looked up, and meets that cached record.
    state.agency = rotated(state.agency, 'third');
    const second = seals.withdrawalOf(PSB, 'third');
    releaseCached();
    expect(await other).toBeUndefined();
    // The fresh read still under way was asked before this lookup began: it reads one of its own.
    await vi.waitFor(() => expect(state.reads).toBe(4));
    releaseFresh();

    expect(await second).toBeUndefined();
    expect(await first).toBeUndefined();
  });

  it('counts a kid the agency no longer holds, read fresh, as withdrawn — let go, with no time', async () => {
    const { config } = registry(BASE);
    const seals = new CachedSealStandings(config, { now: clock().now });
    expect(await seals.withdrawalOf(PSB, 'let-go-long-ago')).toEqual({});
    expect(await seals.withdrawalOf('91330100MA00000000', KID)).toEqual({});
  });

  it('remembers no failed read: the next caller reads again', async () => {
    const { state, config } = registry(BASE);
    const seals = new CachedSealStandings(config, { now: clock().now });
    state.failing = true;
    await expect(seals.withdrawalOf(PSB, KID)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(await seals.withdrawalOf(PSB, KID)).toBeUndefined();
    expect(state.reads).toBe(2);
  });
});
