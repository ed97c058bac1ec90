import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '#core/audit/event.ts';
import { checkClaimedIdentity } from '#core/holders/identity.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import {
  AccountBoundToAnotherIdentity,
  type HolderStore,
  IdentityBoundToAnotherAccount,
  type ProofingRecord,
} from '#ports/holder-store.ts';
import type { IdentityProofingProvider, ProofingRequest } from '#ports/identity-proofing.ts';

// 实名核验: a holder account proves who it is with one of the configured providers. Only a
// verified proofing binds the account to (holder code type, holder code); a failed one is
// recorded too (who tried what, when — never the evidence), so attempts leave a trace.

export interface ProofIdentityDeps {
  store: Pick<HolderStore, 'bindingOf' | 'accountOf' | 'recordProofing'>;
  blindIndex: BlindIndexer;
  /** The providers this stage enables, by name. */
  providers: ReadonlyMap<string, IdentityProofingProvider>;
  now: () => Date;
  newId?: () => string;
}

export interface ProofIdentityRequest {
  account: string;
  provider: string;
  identity: { codeType: string; code: string; name?: string | undefined };
  evidence: Readonly<Record<string, unknown>>;
}

/** The request names no enabled provider, or no identity the platform can bind. */
export class ProofingRequestInvalid extends Error {
  readonly code = 'PROOFING_REQUEST_INVALID';
  constructor(reason: string) {
    super(reason);
    this.name = 'ProofingRequestInvalid';
  }
}

export interface ProofingOutcome {
  proofing: ProofingRecord;
  /** The binding after the proofing; undefined when the account is still unproofed. */
  binding: HolderBinding | undefined;
}

/**
 * The provider is enabled → the claimed identity is well formed → the account is not bound to
 * another identity, nor the identity to another account (checked before the provider is asked,
 * and again by the store's conditions) → the provider decides → the proofing (and, when
 * verified, the binding) written with its audit event.
 */
export async function proofIdentity(
  request: ProofIdentityRequest,
  deps: ProofIdentityDeps,
): Promise<ProofingOutcome> {
  const provider = deps.providers.get(request.provider);
  if (provider === undefined) {
    throw new ProofingRequestInvalid(
      `expected one of the enabled providers (${[...deps.providers.keys()].join(', ') || 'none'}), found ${JSON.stringify(request.provider)}`,
    );
  }
  const checked = checkClaimedIdentity(request.identity, deps.now());
  if (!checked.ok) throw new ProofingRequestInvalid(`identity.code: ${checked.reason}`);
  const { identity } = checked;
  const holderIndex = await deps.blindIndex.tokenFor(identity.codeType, identity.code);
  const [current, owner] = await Promise.all([
    deps.store.bindingOf(request.account),
    deps.store.accountOf(holderIndex),
  ]);
  if (current !== undefined && current.holderIndex !== holderIndex) {
    throw new AccountBoundToAnotherIdentity(request.account);
  }
  if (owner !== undefined && owner !== request.account) throw new IdentityBoundToAnotherAccount();

  const proofingRequest: ProofingRequest = {
    account: request.account,
    identity: { ...identity, name: request.identity.name },
    evidence: request.evidence,
  };
  const result = await provider.proof(proofingRequest);
  const time = deps.now().toISOString();
  const proofing: ProofingRecord = {
    id: deps.newId?.() ?? randomUUID(),
    account: request.account,
    provider: provider.name,
    methods: result.methods,
    assurance: result.assurance,
    outcome: result.verified ? 'verified' : 'failed',
    ...(result.verified || result.reason === undefined ? {} : { reason: result.reason }),
    codeType: identity.codeType,
    holderIndex,
    time,
  };
  const binding = await deps.store.recordProofing(
    proofing,
    result.verified ? { ...identity, holderIndex } : undefined,
    proofingAuditEvent(proofing, deps.newId?.() ?? randomUUID()),
  );
  return { proofing, binding };
}

function proofingAuditEvent(proofing: ProofingRecord, id: string): AuditEvent {
  return {
    id,
    time: proofing.time,
    actor: { kind: 'holder', id: proofing.account },
    action: 'holder.identity_proofed',
    outcome: proofing.outcome === 'verified' ? 'success' : 'denied',
    details: {
      proofingId: proofing.id,
      provider: proofing.provider,
      methods: proofing.methods,
      assurance: proofing.assurance,
      codeType: proofing.codeType,
      ...(proofing.reason === undefined ? {} : { reason: proofing.reason }),
    },
  };
}

/** The account's binding, or the refusal a route that needs a proofed identity answers with. */
export class IdentityNotProofed extends Error {
  readonly code = 'IDENTITY_NOT_PROOFED';
  constructor(account: string) {
    super(
      `holder account ${account} is not bound to a proofed identity; complete an identity proofing (POST /holder/proofings) first`,
    );
    this.name = 'IdentityNotProofed';
  }
}

export async function requireBinding(
  store: Pick<HolderStore, 'bindingOf'>,
  account: string,
): Promise<HolderBinding> {
  const binding = await store.bindingOf(account);
  if (binding === undefined) throw new IdentityNotProofed(account);
  return binding;
}
