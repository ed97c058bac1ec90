// An in-memory holder store with the port's semantics (one identity one account, challenges
// consumed once, keys revoked once), for the identity use cases.
import type { AuditEvent } from '#core/audit/event.ts';
import { meetsAssurance } from '#core/holders/identity.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import {
  AccountBoundToAnotherIdentity,
  type DeviceKey,
  DeviceKeyAlreadyRevoked,
  DeviceKeyChallengeUnknown,
  DeviceKeyExists,
  DeviceKeyNotFound,
  type HolderKeyLookup,
  type HolderStore,
  IdentityBoundToAnotherAccount,
  type IdentityToBind,
  ProofingInProgress,
  type ProofingRecord,
} from '#ports/holder-store.ts';
import type { BoundDeviceKey } from '#ports/license-repository.ts';

export class MemoryHolderStore implements HolderStore, HolderKeyLookup {
  readonly bindings = new Map<string, HolderBinding>();
  readonly owners = new Map<string, string>();
  readonly proofings: ProofingRecord[] = [];
  readonly challenges = new Map<string, Date>();
  readonly keys = new Map<string, DeviceKey>();
  readonly events: AuditEvent[] = [];
  /** Proofing locks held, by `account:<id>` and `identity:<index>`. */
  readonly locks = new Map<string, { token: string; until: Date }>();
  #tokens = 0;
  readonly clock: () => Date;
  constructor(clock: () => Date) {
    this.clock = clock;
  }

  async bindingOf(account: string) {
    return this.bindings.get(account);
  }
  async accountOf(holderIndex: string) {
    return this.owners.get(holderIndex);
  }
  async recordProofing(record: ProofingRecord, bind: IdentityToBind | undefined, event: AuditEvent) {
    const current = this.bindings.get(record.account);
    if (bind !== undefined) {
      if (current !== undefined && current.holderIndex !== bind.holderIndex) {
        throw new AccountBoundToAnotherIdentity(record.account);
      }
      const owner = this.owners.get(bind.holderIndex);
      if (owner !== undefined && owner !== record.account) throw new IdentityBoundToAnotherAccount();
      if (current === undefined) {
        this.bindings.set(record.account, {
          account: record.account,
          codeType: bind.codeType,
          code: bind.code,
          holderIndex: bind.holderIndex,
          assurance: record.assurance,
          proofingId: record.id,
          boundAt: record.time,
        });
        this.owners.set(bind.holderIndex, record.account);
      } else if (!meetsAssurance(current.assurance, record.assurance)) {
        this.bindings.set(record.account, { ...current, assurance: record.assurance, proofingId: record.id });
      }
    }
    this.proofings.push(record);
    this.events.push(event);
    return this.bindings.get(record.account);
  }
  async listProofings(account: string) {
    return this.proofings.filter((p) => p.account === account).reverse();
  }
  async lockProofing(account: string, holderIndex: string, until: Date) {
    const names = [`account:${account}`, `identity:${holderIndex}`];
    const now = this.clock().getTime();
    if (names.some((name) => (this.locks.get(name)?.until.getTime() ?? 0) > now)) {
      throw new ProofingInProgress();
    }
    this.#tokens += 1;
    const token = `lock-${this.#tokens}`;
    for (const name of names) this.locks.set(name, { token, until });
    return token;
  }
  async unlockProofing(account: string, holderIndex: string, token: string) {
    for (const name of [`account:${account}`, `identity:${holderIndex}`]) {
      if (this.locks.get(name)?.token === token) this.locks.delete(name);
    }
  }
  /** Identities whose failed claims were cleared, and when: the fake forgets claims made before. */
  readonly clearedAt = new Map<string, string>();
  async clearFailedClaims(holderIndex: string, eventOf: (cleared: number) => AuditEvent) {
    const cleared = this.proofings.filter(
      (p) => p.holderIndex === holderIndex && p.outcome === 'failed' && this.#claimCounts(p),
    ).length;
    this.clearedAt.set(holderIndex, this.clock().toISOString());
    this.events.push(eventOf(cleared));
    return cleared;
  }
  #claimCounts(p: ProofingRecord): boolean {
    const cleared = this.clearedAt.get(p.holderIndex);
    return cleared === undefined || p.time > cleared;
  }
  async failedProofingsSince(scope: { account: string } | { holderIndex: string }, since: Date) {
    return this.proofings
      .filter((p) => p.outcome === 'failed' && p.time >= since.toISOString())
      .filter((p) =>
        'account' in scope
          ? p.account === scope.account
          : p.holderIndex === scope.holderIndex && this.#claimCounts(p),
      )
      .map((p) => p.time)
      .sort();
  }
  async openDeviceKeyChallenge(account: string, nonce: string, expiresAt: Date) {
    this.challenges.set(`${account}/${nonce}`, expiresAt);
  }
  async registerDeviceKey(key: DeviceKey, nonce: string, event: AuditEvent) {
    sortKeyWithinLimit(`DEVICE_KEY_CHALLENGE#${nonce}`);
    const expires = this.challenges.get(`${key.account}/${nonce}`);
    if (expires === undefined || expires <= this.clock()) throw new DeviceKeyChallengeUnknown();
    if (this.keys.has(`${key.account}/${key.id}`)) throw new DeviceKeyExists(key.id);
    this.challenges.delete(`${key.account}/${nonce}`);
    this.keys.set(`${key.account}/${key.id}`, key);
    this.events.push(event);
  }
  async listDeviceKeys(account: string) {
    return [...this.keys.values()]
      .filter((k) => k.account === account)
      .sort((a, b) => (a.registered < b.registered ? 1 : -1));
  }
  async revokeDeviceKey(account: string, keyId: string, event: AuditEvent) {
    sortKeyWithinLimit(`DEVICE_KEY#${keyId}`);
    const key = this.keys.get(`${account}/${keyId}`);
    if (key === undefined) throw new DeviceKeyNotFound(keyId);
    if (key.revoked !== undefined) throw new DeviceKeyAlreadyRevoked(keyId, key.revoked);
    const revoked: DeviceKey = { ...key, status: 'revoked', revoked: event.time };
    this.keys.set(`${account}/${keyId}`, revoked);
    this.events.push(event);
    return revoked;
  }
  async deviceKeyOf(holderIndex: string): Promise<DeviceKey | undefined> {
    const account = this.owners.get(holderIndex);
    if (account === undefined) return undefined;
    return (await this.listDeviceKeys(account)).find((k) => k.status === 'active');
  }
  /** The holders table's part of a bound license's write (MemoryLicenses.deviceKeyActive). */
  deviceKeyActive = (key: BoundDeviceKey): boolean =>
    this.keys.get(`${key.account}/${key.keyId}`)?.status === 'active';
}

/** DynamoDB refuses a sort key over 1,024 bytes (a ValidationError, which the route answers with 500). */
function sortKeyWithinLimit(sk: string): void {
  if (Buffer.byteLength(sk) > 1024)
    throw new Error(`ValidationError: sort key of ${Buffer.byteLength(sk)} bytes`);
}
