// The holder's reads of their own account and proofings, with in-memory ports: each is audited
// before it is answered, the event naming ids only; an event that cannot be written answers nothing.

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEVELOPMENT_ONLY_EVIDENCE_TOKEN,
  DevelopmentOnlyProofingProvider,
} from '#adapters/local/development-only-proofing-provider.ts';
import { listHolderProofings, readHolderAccount } from '#app/holder-account.ts';
import { proofIdentity } from '#app/proof-identity.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import { TestAuditLog } from '../app/retrieval-fakes.ts';
import { MemoryHolderStore } from './holder-identity-fakes.ts';

const NOW = new Date('2026-03-01T08:00:00.000Z');
const CODE = '330102199003071230';
const blindIndex = {
  async tokenFor(codeType: string, code: string) {
    return createHmac('sha256', 'unit').update(`${codeType}:${code}`).digest('base64url');
  },
};

/** A store with acct-1 bound to CODE after one failed and one verified proofing; acct-2 never proofed. */
async function world() {
  const store = new MemoryHolderStore(() => NOW);
  const provider = new DevelopmentOnlyProofingProvider({ local: true });
  let n = 0;
  const proofing = { store, blindIndex, providers: new Map([[provider.name, provider]]), now: () => NOW };
  for (const token of ['guessed', DEVELOPMENT_ONLY_EVIDENCE_TOKEN]) {
    await proofIdentity(
      {
        account: 'acct-1',
        provider: provider.name,
        identity: { codeType: '111', code: CODE, name: '张伟明' },
        evidence: { token },
      },
      { ...proofing, newId: () => `proofing-${++n}` },
    );
  }
  const audit = new TestAuditLog();
  let events = 0;
  const deps = { identity: store, audit, now: () => NOW, newEventId: () => `holder-read-${++events}` };
  return { store, audit, deps };
}

describe('readHolderAccount', () => {
  it('answers the binding once its holder.account_read event, naming ids only, is written', async () => {
    const { store, audit, deps } = await world();

    const { binding, auditEventId } = await readHolderAccount({ account: 'acct-1' }, deps);

    expect(binding).toEqual(await store.bindingOf('acct-1'));
    expect(audit.events).toEqual([
      {
        id: auditEventId,
        time: NOW.toISOString(),
        actor: { kind: 'holder', id: 'acct-1' },
        action: 'holder.account_read',
        outcome: 'success',
        details: { bound: true, proofingId: binding?.proofingId },
      },
    ]);
    expect(parseAuditEvent(audit.events[0])).toEqual(audit.events[0]);
    expect(JSON.stringify(audit.events)).not.toContain(CODE);
    expect(JSON.stringify(audit.events)).not.toContain(binding?.holderIndex);
  });

  it('audits the read of an account not proofed yet too', async () => {
    const { audit, deps } = await world();

    const { binding } = await readHolderAccount({ account: 'acct-2' }, deps);

    expect(binding).toBeUndefined();
    expect(audit.events).toMatchObject([
      { actor: { kind: 'holder', id: 'acct-2' }, action: 'holder.account_read', details: { bound: false } },
    ]);
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, deps } = await world();
    audit.failing = true;

    await expect(readHolderAccount({ account: 'acct-1' }, deps)).rejects.toThrow(/audit/);
  });
});

describe('listHolderProofings', () => {
  it('answers the proofings once its holder.proofings_listed event, naming ids only, is written', async () => {
    const { store, audit, deps } = await world();

    const { proofings, auditEventId } = await listHolderProofings({ account: 'acct-1' }, deps);

    expect(proofings).toEqual([...store.proofings].reverse());
    expect(proofings.map((p) => p.outcome)).toEqual(['verified', 'failed']);
    expect(audit.events).toEqual([
      {
        id: auditEventId,
        time: NOW.toISOString(),
        actor: { kind: 'holder', id: 'acct-1' },
        action: 'holder.proofings_listed',
        outcome: 'success',
        details: { proofings: 2 },
      },
    ]);
    expect(parseAuditEvent(audit.events[0])).toEqual(audit.events[0]);
  });

  it('answers nothing when its event cannot be written', async () => {
    const { audit, deps } = await world();
    audit.failing = true;

    await expect(listHolderProofings({ account: 'acct-1' }, deps)).rejects.toThrow(/audit/);
  });
});
