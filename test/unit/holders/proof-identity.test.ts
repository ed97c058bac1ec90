// Identity proofing with in-memory ports: only a verified proofing binds; one identity, one
// account; refusals record nothing and ask no provider.

import { createHmac } from 'node:crypto';
import { InvalidImageFormatException, type RekognitionClient } from '@aws-sdk/client-rekognition';
import { describe, expect, it } from 'vitest';
import { RekognitionProofingProvider } from '#adapters/aws/rekognition-proofing-provider.ts';
import {
  DEVELOPMENT_ONLY_EVIDENCE_TOKEN,
  DevelopmentOnlyProofingProvider,
} from '#adapters/local/development-only-proofing-provider.ts';
import {
  IdentityNotProofed,
  PROOFING_ATTEMPT_LIMITS,
  ProofingAttemptsExceeded,
  ProofingRequestInvalid,
  proofIdentity,
  requireBinding,
} from '#app/proof-identity.ts';
import { unblockIdentityProofing } from '#app/unblock-identity-proofing.ts';
import {
  AccountBoundToAnotherIdentity,
  IdentityBoundToAnotherAccount,
  ProofingInProgress,
} from '#ports/holder-store.ts';
import {
  type IdentityProofingProvider,
  ProofingEvidenceInvalid,
  type ProofingRequest,
} from '#ports/identity-proofing.ts';
import { MemoryHolderStore } from './holder-identity-fakes.ts';

const NOW = new Date('2026-03-01T08:00:00.000Z');
const CITIZEN = { codeType: '111', code: '330102199003071230', name: '张伟明' };
const COMPANY = { codeType: '001', code: '91330100MA2D00010B' };
const blindIndex = {
  async tokenFor(codeType: string, code: string) {
    return createHmac('sha256', 'unit').update(`${codeType}:${code}`).digest('base64url');
  },
};

/** A provider that records what it was asked and answers as told. */
class ScriptedProvider implements IdentityProofingProvider {
  readonly name = 'scripted';
  readonly asked: ProofingRequest[] = [];
  answer: { verified: boolean; assurance: 'low' | 'substantial' | 'high' };
  constructor(answer: { verified: boolean; assurance: 'low' | 'substantial' | 'high' }) {
    this.answer = answer;
  }
  async proof(request: ProofingRequest) {
    this.asked.push(request);
    return { ...this.answer, methods: ['scripted'], ...(this.answer.verified ? {} : { reason: 'no match' }) };
  }
}

function world(provider: IdentityProofingProvider = new DevelopmentOnlyProofingProvider({ local: true })) {
  const store = new MemoryHolderStore(() => NOW);
  let n = 0;
  const deps = {
    store,
    blindIndex,
    providers: new Map([[provider.name, provider]]),
    now: () => NOW,
    newId: () => `id-${++n}`,
  };
  return { store, deps };
}

const devProof = (
  account: string,
  identity: { codeType: string; code: string } = CITIZEN,
  token = DEVELOPMENT_ONLY_EVIDENCE_TOKEN,
) => ({
  account,
  provider: 'development-only',
  identity,
  evidence: { token },
});

describe('proofIdentity', () => {
  it('binds the account through a verified proofing, with its audit event naming no ID number', async () => {
    const { store, deps } = world();
    const outcome = await proofIdentity(devProof('acct-1', { ...CITIZEN, code: ` ${CITIZEN.code} ` }), deps);

    expect(outcome.proofing).toMatchObject({
      account: 'acct-1',
      provider: 'development-only',
      outcome: 'verified',
      assurance: 'low',
    });
    expect(outcome.binding).toMatchObject({
      account: 'acct-1',
      codeType: '111',
      code: CITIZEN.code,
      proofingId: outcome.proofing.id,
    });
    expect(outcome.binding?.holderIndex).toBe(await blindIndex.tokenFor('111', CITIZEN.code));
    expect(await requireBinding(store, 'acct-1')).toEqual(outcome.binding);
    expect(store.events).toHaveLength(1);
    expect(store.events[0]).toMatchObject({
      action: 'holder.identity_proofed',
      actor: { kind: 'holder', id: 'acct-1' },
      outcome: 'success',
    });
    expect(JSON.stringify(store.events)).not.toContain(CITIZEN.code);
  });

  it('records a failed proofing as denied and binds nothing', async () => {
    const { store, deps } = world();
    const outcome = await proofIdentity(devProof('acct-1', CITIZEN, 'wrong'), deps);

    expect(outcome).toMatchObject({
      proofing: { outcome: 'failed', reason: 'the development token does not match' },
      binding: undefined,
    });
    expect(store.bindings.size).toBe(0);
    expect(store.events[0]).toMatchObject({ outcome: 'denied' });
    await expect(requireBinding(store, 'acct-1')).rejects.toBeInstanceOf(IdentityNotProofed);
  });

  it('tells that an identity is bound to another account only to whoever proves to be that person', async () => {
    const provider = new ScriptedProvider({ verified: true, assurance: 'high' });
    const { store, deps } = world(provider);
    await proofIdentity({ ...devProof('acct-1'), provider: 'scripted' }, deps);

    await expect(proofIdentity({ ...devProof('acct-2'), provider: 'scripted' }, deps)).rejects.toBeInstanceOf(
      IdentityBoundToAnotherAccount,
    );
    // The provider was asked, the verified proofing is kept with a denied event, nothing moved.
    expect(provider.asked).toHaveLength(2);
    expect(store.proofings.map((p) => [p.account, p.outcome])).toEqual([
      ['acct-1', 'verified'],
      ['acct-2', 'verified'],
    ]);
    expect(store.events[1]).toMatchObject({
      actor: { id: 'acct-2' },
      outcome: 'denied',
      details: { reason: expect.stringContaining('bound to another account') },
    });
    expect(store.bindings.has('acct-2')).toBe(false);
    expect(store.owners.get(await blindIndex.tokenFor('111', CITIZEN.code))).toBe('acct-1');
  });

  it('answers a failed proofing of a bound identity like any failed one, so the answer is no oracle', async () => {
    const provider = new ScriptedProvider({ verified: true, assurance: 'high' });
    const { store, deps } = world(provider);
    await proofIdentity({ ...devProof('acct-1'), provider: 'scripted' }, deps);
    provider.answer = { verified: false, assurance: 'high' };

    const bound = await proofIdentity({ ...devProof('acct-2'), provider: 'scripted' }, deps);
    const unbound = await proofIdentity(
      { ...devProof('acct-3', { ...CITIZEN, code: '11010519491231002X' }), provider: 'scripted' },
      deps,
    );
    expect(bound).toMatchObject({ proofing: { outcome: 'failed', reason: 'no match' }, binding: undefined });
    expect(unbound).toMatchObject({
      proofing: { outcome: 'failed', reason: 'no match' },
      binding: undefined,
    });
    expect(store.events.slice(1).map((event) => event.details)).toEqual([
      expect.objectContaining({ reason: 'no match' }),
      expect.objectContaining({ reason: 'no match' }),
    ]);
  });

  it('refuses to move a bound account to another identity', async () => {
    const { store, deps } = world();
    await proofIdentity(devProof('acct-1'), deps);

    await expect(proofIdentity(devProof('acct-1', COMPANY), deps)).rejects.toBeInstanceOf(
      AccountBoundToAnotherIdentity,
    );
    expect(store.proofings).toHaveLength(1);
  });

  it('raises the binding to a stronger proofing of the same identity', async () => {
    const strong = new ScriptedProvider({ verified: true, assurance: 'substantial' });
    const { deps } = world(strong);
    deps.providers.set('development-only', new DevelopmentOnlyProofingProvider({ local: true }));
    await proofIdentity(devProof('acct-1'), deps);
    const raised = await proofIdentity({ ...devProof('acct-1'), provider: 'scripted' }, deps);

    expect(raised.binding).toMatchObject({ assurance: 'substantial', proofingId: raised.proofing.id });
  });

  it('refuses an unknown provider, a malformed identity and bad evidence, recording nothing', async () => {
    const { store, deps } = world();
    await expect(proofIdentity({ ...devProof('acct-1'), provider: 'bank' }, deps)).rejects.toBeInstanceOf(
      ProofingRequestInvalid,
    );
    await expect(
      proofIdentity(devProof('acct-1', { codeType: '111', code: '330102199003071231' }), deps),
    ).rejects.toThrow(/check character/);
    await expect(
      proofIdentity(devProof('acct-1', { codeType: '999', code: 'X' }), deps),
    ).rejects.toBeInstanceOf(ProofingRequestInvalid);
    await expect(proofIdentity({ ...devProof('acct-1'), evidence: {} }, deps)).rejects.toBeInstanceOf(
      ProofingEvidenceInvalid,
    );
    expect(store.proofings).toHaveLength(0);
    expect(store.events).toHaveLength(0);
  });
});

describe('failed attempts', () => {
  /** A world whose clock the test moves, with a provider that fails unless told otherwise. */
  function clocked() {
    let now = NOW.getTime();
    const provider = new ScriptedProvider({ verified: false, assurance: 'substantial' });
    const { store, deps } = world(provider);
    const tick = (ms: number) => {
      now += ms;
    };
    return { store, provider, tick, deps: { ...deps, now: () => new Date(now) } };
  }
  const attempt = (account: string, identity: { codeType: string; code: string } = CITIZEN) => ({
    account,
    provider: 'scripted',
    identity,
    evidence: {},
  });
  const MINUTE = 60_000;

  it('allows 5 failures of one account in 24 hours, then refuses without asking the provider until the oldest ages out', async () => {
    const { store, provider, tick, deps } = clocked();
    for (let i = 0; i < PROOFING_ATTEMPT_LIMITS.perAccount; i++) {
      expect((await proofIdentity(attempt('acct-1'), deps)).proofing.outcome).toBe('failed');
      tick(MINUTE);
    }
    const refused = await proofIdentity(attempt('acct-1'), deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProofingAttemptsExceeded);
    // The first failure was 5 minutes ago: 24 hours less 5 minutes to wait.
    expect((refused as ProofingAttemptsExceeded).retryAfterSeconds).toBe(24 * 3600 - 5 * 60);
    expect((refused as Error).message).toContain('try again after 2026-03-02T08:00:00.000Z');
    expect(provider.asked).toHaveLength(5);
    expect(store.proofings).toHaveLength(5);
    // Another identity from the same account is refused too: the account is what is limited.
    await expect(proofIdentity(attempt('acct-1', COMPANY), deps)).rejects.toThrow(ProofingAttemptsExceeded);

    tick(24 * 3600 * 1000 - 5 * MINUTE); // the first failure leaves the window
    expect((await proofIdentity(attempt('acct-1'), deps)).proofing.outcome).toBe('failed');
    expect(provider.asked).toHaveLength(6);
    await expect(proofIdentity(attempt('acct-1'), deps)).rejects.toThrow(ProofingAttemptsExceeded);
  });

  it('allows 10 failures claiming one identity from any accounts, then refuses that identity alone', async () => {
    const { provider, tick, deps } = clocked();
    for (let i = 0; i < PROOFING_ATTEMPT_LIMITS.perIdentity; i++) {
      await proofIdentity(attempt(`acct-${i}`), deps);
      tick(MINUTE);
    }
    const fresh = 'acct-new';
    await expect(proofIdentity(attempt(fresh), deps)).rejects.toThrow(ProofingAttemptsExceeded);
    expect(provider.asked).toHaveLength(10);
    // The same new account may still try another identity.
    expect((await proofIdentity(attempt(fresh, COMPANY), deps)).proofing.outcome).toBe('failed');
  });

  it('counts a selfie Rekognition cannot read as a failure, alike whether the identity has a registered photo', async () => {
    // A truncated JPEG passes the sniff; Rekognition refuses it only once it meets the photo.
    const truncated = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]).toString('base64');
    const photographed = await blindIndex.tokenFor(CITIZEN.codeType, CITIZEN.code);
    const rekognition = new RekognitionProofingProvider({
      rekognition: {
        send: async () => {
          throw new InvalidImageFormatException({
            message: 'Request has invalid image format',
            $metadata: {},
          });
        },
      } as unknown as RekognitionClient,
      photos: {
        photoOf: async (identity) =>
          (await blindIndex.tokenFor(identity.codeType, identity.code)) === photographed
            ? new Uint8Array([0xff, 0xd8, 0xff])
            : undefined,
      },
    });
    const { store, deps } = world(rekognition);
    const limits = { perAccount: 1, perIdentity: 10, windowSeconds: 600 };
    const proof = (account: string, identity: { codeType: string; code: string; name?: string }) =>
      proofIdentity(
        { account, provider: rekognition.name, identity, evidence: { selfie: truncated } },
        { ...deps, limits },
      );

    const withPhoto = await proof('acct-1', CITIZEN);
    const withoutPhoto = await proof('acct-2', { ...CITIZEN, code: '11010519491231002X' });

    expect(withPhoto.proofing).toMatchObject({ outcome: 'failed' });
    expect(withPhoto.proofing.reason).toBe(withoutPhoto.proofing.reason);
    expect(store.events.map((e) => e.outcome)).toEqual(['denied', 'denied']);
    await expect(proof('acct-1', CITIZEN)).rejects.toBeInstanceOf(ProofingAttemptsExceeded);
  });

  it('does not count verified proofings, and the limits are the deps’ to set', async () => {
    const { provider, deps } = clocked();
    const limits = { perAccount: 1, perIdentity: 10, windowSeconds: 600 };
    provider.answer.verified = true;
    await proofIdentity(attempt('acct-1'), { ...deps, limits });
    await proofIdentity(attempt('acct-1'), { ...deps, limits });
    provider.answer.verified = false;
    await proofIdentity(attempt('acct-2', COMPANY), { ...deps, limits });
    const refused = await proofIdentity(attempt('acct-2', COMPANY), { ...deps, limits }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'PROOFING_ATTEMPTS_EXCEEDED', retryAfterSeconds: 600 });
  });
});

describe('unblockIdentityProofing', () => {
  it('forgets the failed claims against an identity, audited with the reason and no ID number; the account limit stands', async () => {
    let now = NOW.getTime();
    const provider = new ScriptedProvider({ verified: false, assurance: 'substantial' });
    const { store, deps: base } = world(provider);
    const deps = { ...base, now: () => new Date(now) };
    for (let i = 0; i < PROOFING_ATTEMPT_LIMITS.perIdentity; i++) {
      await proofIdentity(
        { account: `acct-${i}`, provider: 'scripted', identity: CITIZEN, evidence: {} },
        deps,
      );
      now += 60_000;
    }
    const owner = { account: 'owner', provider: 'scripted', identity: CITIZEN, evidence: {} };
    await expect(proofIdentity(owner, deps)).rejects.toThrow(ProofingAttemptsExceeded);

    const operator = { agency: '12330100MB0000001X', keyId: 'ops-1' };
    const unblocked = await unblockIdentityProofing(
      { identity: CITIZEN, reason: '本人持证到窗口核验，工单 2026-118' },
      operator,
      {
        store,
        blindIndex,
        stage: 'dev',
        demoData: 'refused' as const,
        now: () => new Date(now),
        newEventId: () => 'evt-unblock',
      },
    );
    expect(unblocked.cleared).toBe(PROOFING_ATTEMPT_LIMITS.perIdentity);
    const event = store.events.at(-1)!;
    expect(event).toMatchObject({
      id: 'evt-unblock',
      action: 'holder.identity_proofing_unblocked',
      actor: { kind: 'operator', id: operator.agency },
      details: {
        codeType: '111',
        holderIndex: await blindIndex.tokenFor('111', CITIZEN.code),
        cleared: PROOFING_ATTEMPT_LIMITS.perIdentity,
        reason: '本人持证到窗口核验，工单 2026-118',
        operatorKeyId: 'ops-1',
      },
    });
    expect(JSON.stringify(event)).not.toContain(CITIZEN.code);

    now += 1000;
    provider.answer.verified = true;
    expect((await proofIdentity(owner, deps)).binding?.account).toBe('owner');
    // The failures stay with the accounts that made them, and count against those accounts.
    expect(await store.failedProofingsSince({ account: 'acct-0' }, NOW)).toHaveLength(1);
  });

  it('refuses a malformed identity, a blank reason and one naming the number, writing nothing', async () => {
    const { store } = world();
    const deps = {
      store,
      blindIndex,
      stage: 'dev',
      demoData: 'refused' as const,
      now: () => NOW,
      newEventId: () => 'e',
    };
    const operator = { agency: '12330100MB0000001X', keyId: 'ops-1' };
    await expect(
      unblockIdentityProofing({ identity: { codeType: '111', code: '123' }, reason: 'x' }, operator, deps),
    ).rejects.toThrow(ProofingRequestInvalid);
    await expect(
      unblockIdentityProofing({ identity: CITIZEN, reason: '  ' }, operator, deps),
    ).rejects.toThrow(/reason/);
    // The reason is kept for good in the audit log: it may not carry the number itself.
    await expect(
      unblockIdentityProofing({ identity: CITIZEN, reason: `核验 ${CITIZEN.code} 本人` }, operator, deps),
    ).rejects.toThrow(/reason: must not contain an identity number/);
    expect(store.events).toHaveLength(0);
  });

  it('refuses a reason naming the number, or any citizen identity number, however it is spaced, punctuated, cased or written full width', async () => {
    const { store } = world();
    const deps = {
      store,
      blindIndex,
      stage: 'dev',
      demoData: 'refused' as const,
      now: () => NOW,
      newEventId: () => 'e',
    };
    const operator = { agency: '12330100MB0000001X', keyId: 'ops-1' };
    for (const [identity, written] of [
      [CITIZEN, '3301 0219 9003 0712 30'],
      [CITIZEN, '330102-19900307-1230'],
      [CITIZEN, '３３０１０２１９９００３０７１２３０'],
      [COMPANY, '9133 0100 ma2d 0001 0b'],
      [COMPANY, '９１３３０１００ＭＡ２Ｄ０００１０Ｂ'],
      // Nor another citizen's number: the reason is about a case, not about people.
      [CITIZEN, '11010519491231002x'],
      [COMPANY, '３３０１０２１９９００３０７１２３０'],
    ] as const) {
      await expect(
        unblockIdentityProofing({ identity, reason: `核验 ${written} 本人` }, operator, deps),
      ).rejects.toThrow(/reason: must not contain an identity number/);
    }
    expect(store.events).toHaveLength(0);
  });
});

describe('proofings at once', () => {
  /** A provider whose answers the test releases, one by one. */
  class GatedProvider implements IdentityProofingProvider {
    readonly name = 'gated';
    readonly waiting: (() => void)[] = [];
    failWith: Error | undefined;
    async proof() {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.failWith) throw this.failWith;
      return { verified: false, assurance: 'substantial' as const, methods: ['gated'], reason: 'no match' };
    }
  }
  const gated = (account: string, identity: { codeType: string; code: string } = CITIZEN) => ({
    account,
    provider: 'gated',
    identity,
    evidence: {},
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('refuse a second attempt of the same account or the same identity while one runs; others go on', async () => {
    const provider = new GatedProvider();
    const { store, deps } = world(provider);
    const first = proofIdentity(gated('acct-1'), deps);
    await settle();
    expect(provider.waiting).toHaveLength(1);

    await expect(proofIdentity(gated('acct-1', COMPANY), deps)).rejects.toThrow(ProofingInProgress);
    await expect(proofIdentity(gated('acct-2'), deps)).rejects.toThrow(ProofingInProgress);
    const unrelated = proofIdentity(gated('acct-3', COMPANY), deps);
    await settle();
    expect(provider.waiting).toHaveLength(2);

    for (const answer of provider.waiting.splice(0)) answer();
    expect((await first).proofing.outcome).toBe('failed');
    expect((await unrelated).proofing.outcome).toBe('failed');
    expect(store.locks.size).toBe(0);
    // Refused attempts asked no provider and recorded nothing.
    expect(store.proofings).toHaveLength(2);
  });

  it('twenty attempts sent at once record at most the limit of failures', async () => {
    const provider = new GatedProvider();
    const { store, deps } = world(provider);
    const attempts = Array.from({ length: 20 }, () => proofIdentity(gated('acct-1'), deps).catch((e) => e));
    // Answer every attempt that reaches the provider, until all have ended.
    const all = Promise.all(attempts);
    let done = false;
    void all.then(() => {
      done = true;
    });
    while (!done) {
      for (const answer of provider.waiting.splice(0)) answer();
      await settle();
    }
    const outcomes = await all;
    expect(outcomes.filter((o) => o instanceof ProofingInProgress).length).toBeGreaterThan(0);
    expect(store.proofings.length).toBeLessThanOrEqual(PROOFING_ATTEMPT_LIMITS.perAccount);
  });

  it('releases the locks when the provider fails', async () => {
    const provider = new GatedProvider();
    provider.failWith = new Error('provider down');
    const { store, deps } = world(provider);
    const attempt = proofIdentity(gated('acct-1'), deps);
    await settle();
    for (const answer of provider.waiting.splice(0)) answer();
    await expect(attempt).rejects.toThrow('provider down');
    expect(store.locks.size).toBe(0);
  });
});

describe('DevelopmentOnlyProofingProvider', () => {
  it('refuses to exist outside a local stage', () => {
    expect(() => new DevelopmentOnlyProofingProvider({ local: false })).toThrow(/only on local stages/);
  });
});
