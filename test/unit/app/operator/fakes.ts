// In-memory fakes of the ports the operator's use cases depend on: a registry that keeps the
// real store's rules (schemas on write, versions, global key ids), an audit log, seal keys,
// a usage plan.
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import type { OperatorActor } from '#app/admin-change.ts';
import { canonicalEventBytes } from '#core/audit/canonical.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import { parseAuditEvent } from '#core/audit/event.ts';
import { type Agency, AgencySchema, type SealKeyRef } from '#core/catalog/agency.ts';
import { type LicenseType, LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { type SharingAgreement, SharingAgreementSchema } from '#core/catalog/sharing-agreement.ts';
import { organizationCodeCheckChar, usccCheckChar } from '#core/identifiers/index.ts';
import { SigningKeyWithdrawn } from '#core/keys/errors.ts';
import { AuditEventExists } from '#core/storage-errors.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import {
  type AgreementListRequest,
  ApiKeyIdTaken,
  type ApiKeyRecord,
  ConfigRecordExists,
  ConfigRecordInvalid,
  type ConfigRecordKind,
  ConfigRecordNotFound,
  type ConfigStore,
  ConfigVersionConflict,
  type LicenseTypeAsRead,
  LicenseTypeChanged,
  OperatorRecordChanged,
  type OperatorStanding,
  RegistryAlreadyBootstrapped,
  SharingAgreementsChanged,
  SuccessionChanged,
  type SuccessorAsRead,
} from '#ports/config-store.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner, SealKeyRequest } from '#ports/seal-key-provisioner.ts';
import type { SigningKey, SigningKeys } from '#ports/signer.ts';
import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';

type Schema<T> = {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
};

class Records<T> {
  readonly map = new Map<string, Versioned<T>>();
  readonly kind: ConfigRecordKind;
  readonly schema: Schema<T>;
  readonly idOf: (value: T) => string;
  constructor(kind: ConfigRecordKind, schema: Schema<T>, idOf: (value: T) => string) {
    this.kind = kind;
    this.schema = schema;
    this.idOf = idOf;
  }

  checked(value: T): T {
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) {
      throw new ConfigRecordInvalid(
        this.kind,
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      );
    }
    return parsed.data;
  }

  create(value: T): Versioned<T> {
    const checked = this.checked(value);
    const id = this.idOf(checked);
    if (this.map.has(id)) throw new ConfigRecordExists(this.kind, id);
    const record = { value: structuredClone(checked), version: 1 };
    this.map.set(id, record);
    return structuredClone(record);
  }

  update(value: T, expected: number): Versioned<T> {
    const checked = this.checked(value);
    const id = this.idOf(checked);
    const current = this.map.get(id);
    if (!current) throw new ConfigRecordNotFound(this.kind, id);
    if (current.version !== expected)
      throw new ConfigVersionConflict(this.kind, id, expected, current.version);
    const record = { value: structuredClone(checked), version: expected + 1 };
    this.map.set(id, record);
    return structuredClone(record);
  }

  get(id: string): Versioned<T> | undefined {
    const record = this.map.get(id);
    return record && structuredClone(record);
  }

  list(filter: (value: T) => boolean = () => true, page: PageRequest = {}): Page<Versioned<T>> {
    const all = [...this.map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, record]) => record)
      .filter((record) => filter(record.value));
    const start = page.cursor ? Number(page.cursor) : 0;
    const limit = page.limit ?? 2;
    const items = all.slice(start, start + limit).map((r) => structuredClone(r));
    return start + limit < all.length ? { items, cursor: String(start + limit) } : { items };
  }
}

/** The registry in memory, refusing what DynamoConfigStore refuses. Pages hold 2 items unless told. */
export class InMemoryConfigStore implements ConfigStore {
  readonly agencies = new Records<Agency>('agency', AgencySchema, (a) => a.uscc);
  readonly types = new Records<LicenseType>('license-type', LicenseTypeSchema, (t) => t.code);
  readonly agreements = new Records<SharingAgreement>(
    'sharing-agreement',
    SharingAgreementSchema,
    (a) => a.id,
  );

  /** The audit events written with the changes (both or neither, as in one transaction). */
  readonly audit = new RecordingAuditLog();

  constructor(seed: { agencies?: Agency[]; types?: LicenseType[]; agreements?: SharingAgreement[] } = {}) {
    for (const agency of seed.agencies ?? []) this.agencies.create(agency);
    for (const type of seed.types ?? []) this.types.create(type);
    for (const agreement of seed.agreements ?? []) this.agreements.create(agreement);
  }

  #refuseForeignKeys(agency: Agency): void {
    for (const key of agency.apiKeys) {
      const owner = [...this.agencies.map.values()].find((a) =>
        a.value.apiKeys.some((k) => k.keyId === key.keyId),
      );
      if (owner && owner.value.uscc !== agency.uscc) throw new ApiKeyIdTaken(key.keyId);
    }
  }

  /** Runs a write with its audit event: the event is checked and kept only if the write succeeds. */
  #audited<T>(auditEvent: AuditEvent | undefined, write: () => T): T {
    if (auditEvent === undefined) return write();
    const event = this.audit.check(auditEvent);
    const written = write();
    this.audit.events.push(event);
    return written;
  }

  async createAgency(agency: Agency, auditEvent?: AuditEvent, standing?: OperatorStanding) {
    this.agencies.checked(agency);
    if (this.agencies.map.has(agency.uscc)) throw new ConfigRecordExists('agency', agency.uscc);
    this.#refuseForeignKeys(agency);
    // In the same step as the write, as the store's ConditionCheck in its transaction.
    if (standing !== undefined && this.agencies.map.get(standing.agency)?.version !== standing.version) {
      throw new OperatorRecordChanged(standing.agency, 'its record changed since it was read');
    }
    return this.#audited(auditEvent, () => this.agencies.create(agency));
  }
  /** Whether the first operator was bootstrapped (the DynamoDB store's bootstrap mark). */
  bootstrapped = false;
  async createFirstOperator(agency: Agency, auditEvent: AuditEvent) {
    if (this.bootstrapped) throw new RegistryAlreadyBootstrapped();
    this.bootstrapped = true; // in the same write as the agency, as the mark item is
    try {
      return await this.createAgency(agency, auditEvent);
    } catch (error) {
      this.bootstrapped = false;
      throw error;
    }
  }
  async updateAgency(
    agency: Agency,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    standing?: OperatorStanding,
  ) {
    this.agencies.checked(agency);
    this.#refuseForeignKeys(agency);
    // In the same step as the write, as the store's ConditionCheck in its transaction.
    if (standing !== undefined && this.agencies.map.get(standing.agency)?.version !== standing.version) {
      throw new OperatorRecordChanged(standing.agency, 'its record changed since it was read');
    }
    return this.#audited(auditEvent, () => this.agencies.update(agency, expectedVersion));
  }
  async designateSuccessor(
    agency: Agency,
    expectedVersion: number,
    chain: readonly SuccessorAsRead[],
    auditEvent?: AuditEvent,
  ) {
    this.agencies.checked(agency);
    const current = this.agencies.map.get(agency.uscc)?.version;
    // The store's transaction names a stale version before a changed chain.
    if (current !== undefined && current !== expectedVersion) {
      throw new ConfigVersionConflict('agency', agency.uscc, expectedVersion, current);
    }
    // In the same step as the write, as the store's ConditionChecks in its transaction.
    const changed = chain.find(
      ({ uscc, successor }) => this.agencies.map.get(uscc)?.value.successor !== successor,
    );
    if (changed !== undefined) {
      throw new SuccessionChanged(agency.uscc, String(agency.successor), changed.uscc);
    }
    return this.#audited(auditEvent, () => this.agencies.update(agency, expectedVersion));
  }
  async getAgency(uscc: string) {
    return this.agencies.get(uscc);
  }
  async listAgencies(page?: PageRequest) {
    return this.agencies.list(undefined, page);
  }
  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    for (const { value, version } of this.agencies.map.values()) {
      const key = value.apiKeys.find((k) => k.keyId === keyId);
      if (key) return structuredClone({ agency: value, key, agencyVersion: version });
    }
    return undefined;
  }
  async createLicenseType(type: LicenseType, auditEvent?: AuditEvent) {
    return this.#audited(auditEvent, () => this.types.create(type));
  }
  /** Agreement writes per type code, as the store counts them on the type's item (LicenseTypeAsRead). */
  readonly agreementWrites = new Map<string, number>();
  async agreementWritesOfType(code: string) {
    return this.agreementWrites.get(code) ?? 0;
  }
  async updateLicenseType(
    type: LicenseType,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    agreementWrites?: number,
  ) {
    return this.#audited(auditEvent, () => {
      const current = this.types.map.get(type.code)?.version;
      // The store's transaction names a stale version before a changed count.
      if (
        current === expectedVersion &&
        agreementWrites !== undefined &&
        (this.agreementWrites.get(type.code) ?? 0) !== agreementWrites
      ) {
        throw new SharingAgreementsChanged(type.code);
      }
      return this.types.update(type, expectedVersion);
    });
  }
  async getLicenseType(code: string) {
    return this.types.get(code);
  }
  async listLicenseTypes(page?: PageRequest) {
    return this.types.list(undefined, page);
  }
  async createSharingAgreement(
    agreement: SharingAgreement,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ) {
    this.#refuseChangedType(agreement, typeAsRead);
    return this.#audited(auditEvent, () =>
      this.#countedOnType(typeAsRead, this.agreements.create(agreement)),
    );
  }
  async updateSharingAgreement(
    agreement: SharingAgreement,
    expectedVersion: number,
    auditEvent?: AuditEvent,
    typeAsRead?: LicenseTypeAsRead,
  ) {
    this.#refuseChangedType(agreement, typeAsRead);
    return this.#audited(auditEvent, () =>
      this.#countedOnType(typeAsRead, this.agreements.update(agreement, expectedVersion)),
    );
  }
  /** Counts a written agreement on its type, as the store's Update of the type's item in its transaction. */
  #countedOnType<T>(typeAsRead: LicenseTypeAsRead | undefined, written: T): T {
    if (typeAsRead !== undefined) {
      this.agreementWrites.set(typeAsRead.code, (this.agreementWrites.get(typeAsRead.code) ?? 0) + 1);
    }
    return written;
  }
  /** In the same step as the write, as the store's condition on the type's item in its transaction. */
  #refuseChangedType(agreement: SharingAgreement, typeAsRead: LicenseTypeAsRead | undefined) {
    if (typeAsRead !== undefined && this.types.map.get(typeAsRead.code)?.version !== typeAsRead.version) {
      throw new LicenseTypeChanged(typeAsRead.code, agreement.id);
    }
  }
  async getSharingAgreement(id: string) {
    return this.agreements.get(id);
  }
  async listSharingAgreements(page?: PageRequest) {
    return this.agreements.list(undefined, page);
  }
  async listSharingAgreementsOfAgency(relyingAgency: string, request?: AgreementListRequest) {
    return this.agreements.list(
      (a) => a.relyingAgency === relyingAgency && (!request?.typeCode || a.typeCode === request.typeCode),
      request,
    );
  }
  async listSharingAgreementsOfType(typeCode: string, page?: PageRequest) {
    return this.agreements.list((a) => a.typeCode === typeCode, page);
  }
}

/**
 * Keeps every event it is given, validated and keyed (id at its time) as the real writer does:
 * the same event again is already recorded (a retried write), a different one under its id is
 * refused. Fails when told to.
 */
export class RecordingAuditLog implements AuditLogWriter {
  readonly events: AuditEvent[] = [];
  failure: Error | undefined;
  async record(event: AuditEvent): Promise<void> {
    const checked = this.check(event);
    const recorded = this.events.find((e) => e.id === checked.id && e.time === checked.time);
    if (recorded === undefined) this.events.push(checked);
    else if (!Buffer.from(canonicalEventBytes(recorded)).equals(canonicalEventBytes(checked))) {
      throw new AuditEventExists(checked.id);
    }
  }
  /** The event validated, or the failure it was told to fail with. */
  check(event: AuditEvent): AuditEvent {
    if (this.failure) throw this.failure;
    return parseAuditEvent(event);
  }
}

/**
 * Seal keys as software keys: `provision` makes a new key under `fake:seal/<USCC>-<n>`, and
 * `keys` is the SigningKeys view of every key made, for signing and verifying with them.
 */
export class FakeSealKeys implements SealKeyProvisioner {
  readonly made = new Map<string, SigningKey>();
  readonly requests: SealKeyRequest[] = [];
  readonly discarded: string[] = [];
  readonly platform = new SoftwareEs256Signer('platform-kid');

  async provision(request: SealKeyRequest): Promise<SealKeyRef> {
    this.requests.push(request);
    const keyRef = `fake:seal/${request.agency}-${request.generation}`;
    const signer = new SoftwareEs256Signer(`seal-${request.agency}-${request.generation}`);
    this.made.set(keyRef, { keyRef, signer, publicJwk: signer.publicJwk });
    return { keyRef, kid: signer.kid };
  }

  async discard(key: SealKeyRef): Promise<void> {
    this.discarded.push(key.keyRef);
  }

  /** Keys the key service was told to withdraw, in order; it then refuses them, as KMS a disabled key. */
  readonly withdrawn: string[] = [];
  /** When set, withdraw fails with it (the key service unreachable) and withdraws nothing. */
  withdrawFailure: Error | undefined;
  async withdraw(key: SealKeyRef): Promise<void> {
    if (this.withdrawFailure) throw this.withdrawFailure;
    this.withdrawn.push(key.keyRef);
  }

  get keys(): SigningKeys {
    return {
      keyFor: async (keyRef) => {
        const key = this.made.get(keyRef);
        if (!key) throw new Error(`no fake key ${keyRef}`);
        if (this.withdrawn.includes(keyRef)) throw new SigningKeyWithdrawn(keyRef, 'disabled');
        return key;
      },
      platformKey: async () => ({
        keyRef: 'fake:platform',
        signer: this.platform,
        publicJwk: this.platform.publicJwk,
      }),
    };
  }
}

/** A usage plan in memory: keys by id with the agency they were issued to, and which are on the plan. */
export class FakeUsageKeys implements UsageKeys {
  readonly issued: { agency: string; key: UsageKey }[] = [];
  readonly onPlan = new Set<string>();
  async issue(agency: string): Promise<UsageKey> {
    const n = this.issued.length + 1;
    const key = { id: `uk-${n}`, value: `secret-value-${n}-0123456789abcdef` };
    this.issued.push({ agency, key });
    this.onPlan.add(key.id);
    return key;
  }
  async list(agency: string): Promise<string[]> {
    return this.issued.filter((i) => i.agency === agency && this.onPlan.has(i.key.id)).map((i) => i.key.id);
  }
  async withdraw(keyId: string): Promise<void> {
    this.onPlan.delete(keyId);
  }
}

export const OPERATOR: OperatorActor = { agency: '12330100D000001523', keyId: 'demo-operator-1' };
export const NOW = new Date('2026-03-01T08:00:00.000Z');

/** The admin-change dependencies with a fixed clock and numbered event ids; demo data taken unless told. */
export function adminDeps(stage = 'local', demoData: 'allowed' | 'refused' = 'allowed') {
  let n = 0;
  return { stage, demoData, now: () => NOW, newEventId: () => `evt-${++n}` };
}

/** A valid USCC (GB 32100, with a valid GB 11714 organization code inside) numbered `n`. */
export function testUscc(n: number): string {
  const body = `E${String(n).padStart(7, '0')}`;
  const first17 = `12330100${body}${organizationCodeCheckChar(body)}`;
  return `${first17}${usccCheckChar(first17)}`;
}

/** A request-signing key as the operator registers it. */
export function newKey(keyId: string) {
  const signer = new SoftwareEs256Signer(keyId);
  const { x, y } = signer.publicJwk;
  return {
    keyId,
    algorithm: 'ecdsa-p256-sha256' as const,
    publicJwk: { kty: 'EC' as const, crv: 'P-256' as const, x: x!, y: y! },
  };
}
