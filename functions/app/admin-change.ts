// What every change the operator makes to the catalog shares: who made it, the audit event that
// records it, the refusal of demo records in production, and the seal keys made for it.
import type { AuditEvent } from '#core/audit/event.ts';
import type { AgencyPublicJwk, SealKeyRef } from '#core/catalog/agency.ts';
import { isDemoPublicKey } from '#core/catalog/demo-keys.ts';
import { DemoKeyRefused, DemoRecordRefused } from '#core/catalog/registration-errors.ts';
import { StoreBusy } from '#core/storage-errors.ts';
import {
  ApiKeyIdTaken,
  ConfigRecordExists,
  ConfigRecordInvalid,
  type ConfigRecordKind,
  ConfigRecordNotFound,
  ConfigVersionConflict,
  LicenseTypeChanged,
  OperatorRecordChanged,
  RegistryAlreadyBootstrapped,
  SharingAgreementsChanged,
  SuccessionChanged,
  wasWriteNotSent,
  writeNotSent,
} from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import type { SealKeyProvisioner, SealKeyRequest } from '#ports/seal-key-provisioner.ts';

/** The operator making a change: the agency that signed the request and the key it signed with. */
export interface OperatorActor {
  /** USCC of the operator agency. */
  agency: string;
  keyId: string;
  /**
   * The RFC 7638 thumbprint of that key's public JWK, as authentication found it: a key id names
   * another key once its revoked key is let go and the id registered again, the thumbprint never.
   */
  keyThumbprint?: string;
}

/** What every admin change needs besides the registry (which writes each change with its audit event). */
export interface AdminChangeDeps {
  /** The stage this platform runs as (`ELICENSE_STAGE`), named in refusals and audit details. */
  stage: string;
  /**
   * Whether the stage takes demo data (`ELICENSE_DEMO_DATA=allowed`: the local platform, a stage
   * configured with `demoData`). Every other stage refuses records marked demo and the demo
   * agencies' request keys, whose private halves anyone can derive.
   */
  demoData: 'allowed' | 'refused';
  now: () => Date;
  newEventId: () => string;
  /**
   * Told of a seal key made for a change that was refused and that could not be given up again
   * (withNewSealKey): an enabled key no record names, to be logged with its id for deletion by hand.
   */
  onSealKeyNotDiscarded?: (sealKey: SealKeyRef, error: unknown) => void;
}

/** The operator's audited reads of the catalog (catalog-reads.ts), in the form of its changes. */
export type OperatorReadAction = 'agency.listed' | 'agency.read' | 'sharing_agreement.listed';

export type AdminAction =
  | 'agency.registered'
  | 'agency.updated'
  | 'agency.api_key_added'
  | 'agency.api_key_revoked'
  | 'agency.seal_key_rotated'
  | 'agency.seal_key_withdrawn'
  | 'agency.usage_key_issued'
  | 'agency.usage_keys_withdrawn'
  | 'agency.successor_designated'
  | 'agency.successor_removed'
  | 'license_type.registered'
  | 'license_type.updated'
  | 'sharing_agreement.registered'
  | 'sharing_agreement.updated'
  | 'holder.identity_proofing_unblocked';

/**
 * The stored record an update replaces: ConfigRecordNotFound when there is none, and
 * ConfigVersionConflict when someone changed it since the version the operator read (no check
 * when the operator named no version).
 */
export function atExpectedVersion<T>(
  kind: ConfigRecordKind,
  id: string,
  current: Versioned<T> | undefined,
  expectedVersion: number | undefined,
): Versioned<T> {
  if (!current) throw new ConfigRecordNotFound(kind, id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw new ConfigVersionConflict(kind, id, expectedVersion, current.version);
  }
  return current;
}

/** Refuses a record marked demo in a stage that takes no demo data. */
export function refuseDemoData(
  kind: string,
  id: string,
  record: { demo?: true | undefined },
  deps: Pick<AdminChangeDeps, 'stage' | 'demoData'>,
): void {
  if (record.demo === true && deps.demoData === 'refused') throw new DemoRecordRefused(kind, id, deps.stage);
}

/**
 * Refuses, in a stage that takes no demo data, a request key that is a demo agency's under
 * whatever key id: its private half follows from a public key id (core/catalog/demo-keys.ts).
 */
export function refuseDemoKeys(
  keys: readonly { keyId: string; publicJwk: AgencyPublicJwk }[],
  deps: Pick<AdminChangeDeps, 'stage' | 'demoData'>,
): void {
  if (deps.demoData === 'allowed') return;
  const demo = keys.find((key) => isDemoPublicKey(key.publicJwk));
  if (demo) throw new DemoKeyRefused(demo.keyId, deps.stage);
}

/**
 * The audit event of a change: the operator as actor, the operator's key among the details. The
 * registry writes it in the same transaction as the change — an event says what happened, never
 * what was only tried, and no change is made without it.
 */
export function adminChangeEvent(
  deps: Pick<AdminChangeDeps, 'now' | 'newEventId'>,
  operator: OperatorActor,
  action: AdminAction | OperatorReadAction,
  change: { subject?: NonNullable<AuditEvent['subject']>; details: NonNullable<AuditEvent['details']> },
): AuditEvent {
  return {
    id: deps.newEventId(),
    time: deps.now().toISOString(),
    actor: { kind: 'operator', id: operator.agency },
    action,
    ...(change.subject ? { subject: change.subject } : {}),
    outcome: 'success',
    details: {
      ...change.details,
      operatorKeyId: operator.keyId,
      ...(operator.keyThumbprint === undefined ? {} : { operatorKeyThumbprint: operator.keyThumbprint }),
    },
  };
}

/**
 * Provisions a seal key and runs the registry write that names it. When the registry refuses
 * the write for certain, or it failed before anything of it was sent (a throttled read of the
 * record first), the key is given up again; on any other failure the write may have happened, so
 * the key is kept. A key that cannot be given up is enabled and named by no record: it is handed
 * to `onSealKeyNotDiscarded` (the operator function logs it) for someone to delete, and the
 * write's own error is answered. A key that cannot be made is a write not sent either
 * (wasWriteNotSent), so a usage key issued for the same write is withdrawn (withNewUsageKey).
 */
export async function withNewSealKey<T>(
  deps: Pick<AdminChangeDeps, 'onSealKeyNotDiscarded'> & { sealKeys: SealKeyProvisioner },
  request: SealKeyRequest,
  write: (sealKey: SealKeyRef) => Promise<T>,
): Promise<T> {
  const { sealKeys, onSealKeyNotDiscarded } = deps;
  const sealKey = await sealKeys.provision(request).catch((error: unknown) => {
    throw writeNotSent(error);
  });
  try {
    return await write(sealKey);
  } catch (error) {
    if (isCertainRefusal(error)) {
      await sealKeys.discard(sealKey).catch((failure: unknown) => onSealKeyNotDiscarded?.(sealKey, failure));
    }
    throw error;
  }
}

/** Whether the registry refused a write for certain: nothing of it was written. */
export function isCertainRefusal(error: unknown): boolean {
  return (
    error instanceof ConfigRecordExists ||
    error instanceof ConfigRecordNotFound ||
    error instanceof ConfigVersionConflict ||
    error instanceof ApiKeyIdTaken ||
    error instanceof ConfigRecordInvalid ||
    error instanceof RegistryAlreadyBootstrapped ||
    error instanceof OperatorRecordChanged ||
    error instanceof LicenseTypeChanged ||
    error instanceof SharingAgreementsChanged ||
    error instanceof SuccessionChanged ||
    // Refused for load: the transaction wrote nothing.
    error instanceof StoreBusy ||
    wasWriteNotSent(error)
  );
}
