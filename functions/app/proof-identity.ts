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
//
// Failed attempts are limited in a sliding window, per account and per claimed identity (from
// any accounts), before the provider is asked: a face match or a bank-card check is an oracle
// that must not be tried a thousand times with a stolen ID number. A proofing holds a lock on its
// account and one on its identity while it counts, asks and records, so attempts sent at once
// cannot overtake the count: the others are refused (409) until it has ended.

/** Failed proofings allowed within a sliding window; the next attempt is refused until one ages out. */
export interface ProofingAttemptLimits {
  /** Failed proofings of one account. */
  perAccount: number;
  /** Failed proofings claiming one identity, from any accounts. */
  perIdentity: number;
  windowSeconds: number;
}

export const PROOFING_ATTEMPT_LIMITS: ProofingAttemptLimits = {
  perAccount: 5,
  perIdentity: 10,
  windowSeconds: 24 * 3600,
};

/** Too many failed proofings of the account or of the identity within the window. */
export class ProofingAttemptsExceeded extends Error {
  readonly code = 'PROOFING_ATTEMPTS_EXCEEDED';
  /** Seconds until an attempt is allowed again (the Retry-After of the answer). */
  readonly retryAfterSeconds: number;
  constructor(retryAt: Date, now: Date, windowSeconds: number) {
    super(
      `too many failed identity proofings of this account or of this identity in the last ${windowSeconds / 3600} hours; try again after ${retryAt.toISOString()}`,
    );
    this.name = 'ProofingAttemptsExceeded';
    this.retryAfterSeconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
  }
}

export interface ProofIdentityDeps {
  store: Pick<
    HolderStore,
    'bindingOf' | 'accountOf' | 'recordProofing' | 'failedProofingsSince' | 'lockProofing' | 'unlockProofing'
  >;
  blindIndex: BlindIndexer;
  /** The providers this stage enables, by name. */
  providers: ReadonlyMap<string, IdentityProofingProvider>;
  now: () => Date;
  newId?: () => string;
  /** Default PROOFING_ATTEMPT_LIMITS. */
  limits?: ProofingAttemptLimits;
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
 * another identity → the account's and the identity's proofing locks → neither has used up its
 * failed attempts → the provider decides → when verified, the identity is not bound to another
 * account (checked again by the store's conditions) → the proofing (and, when verified, the
 * binding) written with its audit event.
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
  const current = await deps.store.bindingOf(request.account);
  if (current !== undefined && current.holderIndex !== holderIndex) {
    throw new AccountBoundToAnotherIdentity(request.account);
  }

  const started = deps.now();
  const token = await deps.store.lockProofing(
    request.account,
    holderIndex,
    new Date(started.getTime() + PROOFING_LOCK_SECONDS * 1000),
  );
  try {
    return await proofLocked(request, { identity, holderIndex, provider, started }, deps);
  } finally {
    // A release that fails leaves the locks to lapse at their time.
    await deps.store.unlockProofing(request.account, holderIndex, token).catch(() => undefined);
  }
}

/**
 * How long a proofing holds its locks at most: longer than the holder function may run (its
 * timeout), so a lock lapses only after the proofing that took it cannot be running any more.
 */
const PROOFING_LOCK_SECONDS = 60;

// Under the locks: the failures counted now are all there are, as no other attempt of the
// account or the identity can be running.
async function proofLocked(
  request: ProofIdentityRequest,
  claim: {
    identity: { codeType: string; code: string };
    holderIndex: string;
    provider: IdentityProofingProvider;
    started: Date;
  },
  deps: ProofIdentityDeps,
): Promise<ProofingOutcome> {
  const { identity, holderIndex, provider, started } = claim;
  const limits = deps.limits ?? PROOFING_ATTEMPT_LIMITS;
  const since = new Date(started.getTime() - limits.windowSeconds * 1000);
  const [accountFailures, identityFailures] = await Promise.all([
    deps.store.failedProofingsSince({ account: request.account }, since),
    deps.store.failedProofingsSince({ holderIndex }, since),
  ]);
  const retryAt = [
    nextAttemptAt(accountFailures, limits.perAccount, limits.windowSeconds),
    nextAttemptAt(identityFailures, limits.perIdentity, limits.windowSeconds),
  ].reduce((latest, at) => Math.max(latest, at), 0);
  if (retryAt > started.getTime()) {
    throw new ProofingAttemptsExceeded(new Date(retryAt), started, limits.windowSeconds);
  }

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
  // Whether the identity is bound to another account is told only to whoever just proved to be
  // that person: asked before the provider, it would tell anyone, without limit, whether an ID
  // number is registered. Under the identity's lock no other binding can appear meanwhile.
  const owner = result.verified ? await deps.store.accountOf(holderIndex) : undefined;
  if (owner !== undefined && owner !== request.account) {
    // The proofing is kept (the person proved who they are; the account holding their
    // identity may be an old one of theirs, or someone else's), and its event says why nothing was bound.
    await deps.store.recordProofing(
      proofing,
      undefined,
      proofingAuditEvent(proofing, deps.newId?.() ?? randomUUID(), BOUND_ELSEWHERE),
    );
    throw new IdentityBoundToAnotherAccount();
  }
  const binding = await deps.store.recordProofing(
    proofing,
    result.verified ? { ...identity, holderIndex } : undefined,
    proofingAuditEvent(proofing, deps.newId?.() ?? randomUUID()),
  );
  return { proofing, binding };
}

const BOUND_ELSEWHERE = 'verified, but the identity is bound to another account; nothing was bound';

/**
 * When one more attempt is allowed, in epoch ms (0 when it is now): with `limit` or more failures
 * in the window (times oldest first), once enough of the oldest have aged out of it.
 */
function nextAttemptAt(failures: readonly string[], limit: number, windowSeconds: number): number {
  if (failures.length < limit) return 0;
  return Date.parse(failures[failures.length - limit]!) + windowSeconds * 1000;
}

/** The proofing's event: success when it verified, denied (with `refusal` as its reason) otherwise. */
function proofingAuditEvent(proofing: ProofingRecord, id: string, refusal?: string): AuditEvent {
  const reason = refusal ?? proofing.reason;
  return {
    id,
    time: proofing.time,
    actor: { kind: 'holder', id: proofing.account },
    action: 'holder.identity_proofed',
    outcome: proofing.outcome === 'verified' && refusal === undefined ? 'success' : 'denied',
    details: {
      proofingId: proofing.id,
      provider: proofing.provider,
      methods: proofing.methods,
      assurance: proofing.assurance,
      codeType: proofing.codeType,
      ...(reason === undefined ? {} : { reason }),
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
