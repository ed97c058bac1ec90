// The holder's own account: the identity it is bound to (GET /holder/me) and the identity proofings
// it made (GET /holder/proofings). Both answers tell about a person — the identity code (masked),
// the assurance, when and how they proved who they are and why an attempt failed — so each read is
// audited before it is given, like every other holder read. The events name ids only (the
// account, the proofing), never the code: they are kept for years and read by operators.
//
// Neither read needs a proofed identity: an account that has not proved who it is yet reads
// itself (unbound) and its failed attempts. Neither event names a license, so neither shows in the
// holder's access history (the uses of their licenses).
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { HolderBinding } from '#ports/holder-identity.ts';
import type { HolderStore, ProofingRecord } from '#ports/holder-store.ts';
import { recordHolderRead } from './holder-read-event.ts';

export interface HolderAccountDeps {
  identity: Pick<HolderStore, 'bindingOf' | 'listProofings'>;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

/** The account's binding (undefined while unproofed), read and audited (holder.account_read). */
export async function readHolderAccount(
  request: { account: string },
  deps: HolderAccountDeps,
): Promise<{ binding: HolderBinding | undefined; auditEventId: string }> {
  const binding = await deps.identity.bindingOf(request.account);
  const auditEventId = await recordHolderRead(
    request.account,
    'holder.account_read',
    binding === undefined ? { bound: false } : { bound: true, proofingId: binding.proofingId },
    deps,
  );
  return { binding, auditEventId };
}

/** The account's proofings, newest first, read and audited (holder.proofings_listed). */
export async function listHolderProofings(
  request: { account: string },
  deps: HolderAccountDeps,
): Promise<{ proofings: ProofingRecord[]; auditEventId: string }> {
  const proofings = await deps.identity.listProofings(request.account);
  const auditEventId = await recordHolderRead(
    request.account,
    'holder.proofings_listed',
    { proofings: proofings.length },
    deps,
  );
  return { proofings, auditEventId };
}
