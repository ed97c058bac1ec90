// Identity proofing with in-memory ports: only a verified proofing binds; one identity, one
// account; refusals record nothing and ask no provider.

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEVELOPMENT_ONLY_EVIDENCE_TOKEN,
  DevelopmentOnlyProofingProvider,
} from '#adapters/local/development-only-proofing-provider.ts';
import {
  IdentityNotProofed,
  ProofingRequestInvalid,
  proofIdentity,
  requireBinding,
} from '#app/proof-identity.ts';
import { AccountBoundToAnotherIdentity, IdentityBoundToAnotherAccount } from '#ports/holder-store.ts';
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
  readonly answer: { verified: boolean; assurance: 'low' | 'substantial' | 'high' };
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

  it('refuses a second account for a bound identity before asking the provider', async () => {
    const provider = new ScriptedProvider({ verified: true, assurance: 'high' });
    const { store, deps } = world(provider);
    await proofIdentity({ ...devProof('acct-1'), provider: 'scripted' }, deps);

    await expect(proofIdentity({ ...devProof('acct-2'), provider: 'scripted' }, deps)).rejects.toBeInstanceOf(
      IdentityBoundToAnotherAccount,
    );
    expect(provider.asked).toHaveLength(1);
    expect(store.proofings).toHaveLength(1);
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

describe('DevelopmentOnlyProofingProvider', () => {
  it('refuses to exist outside a local stage', () => {
    expect(() => new DevelopmentOnlyProofingProvider({ local: false })).toThrow(/only on local stages/);
  });
});
