// The operator's reads of the catalog: agencies (names, roles, request-signing keys, seal keys,
// successors) and duty-based sharing agreements (who may use which fields of whose licenses, for
// what). Each read is audited before it is answered, as every read of the platform is — a failing
// audit write answers nothing. The events name ids and counts only, never the records' contents:
// their form is that of the operator's changes (admin-change.ts), the operator agency as actor and
// the key it signed with among the details.
import type { AuditEvent } from '#core/audit/event.ts';
import type { Agency } from '#core/catalog/agency.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Page, PageRequest, Versioned } from '#ports/page.ts';
import { adminChangeEvent, type OperatorActor, type OperatorReadAction } from './admin-change.ts';

export interface CatalogReadDeps {
  config: Pick<
    ConfigStore,
    | 'listAgencies'
    | 'getAgency'
    | 'listSharingAgreements'
    | 'listSharingAgreementsOfAgency'
    | 'listSharingAgreementsOfType'
  >;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId: () => string;
}

type Audited<T> = T & { auditEventId: string };

/** A page of agencies by USCC, audited (agency.listed, naming the USCCs shown). */
export async function listAgencies(
  page: PageRequest,
  operator: OperatorActor,
  deps: CatalogReadDeps,
): Promise<Audited<Page<Versioned<Agency>>>> {
  const listed = await deps.config.listAgencies(page);
  const agencyIds = listed.items.map((record) => record.value.uscc);
  const auditEventId = await recordRead(deps, operator, 'agency.listed', {
    agencies: agencyIds.length,
    agencyIds,
  });
  return { ...listed, auditEventId };
}

/** One agency with its version, audited (agency.read); undefined, with nothing to record, when none is registered. */
export async function readAgency(
  uscc: string,
  operator: OperatorActor,
  deps: CatalogReadDeps,
): Promise<Audited<Versioned<Agency>> | undefined> {
  const found = await deps.config.getAgency(uscc);
  if (found === undefined) return undefined;
  const auditEventId = await recordRead(deps, operator, 'agency.read', {
    agency: found.value.uscc,
    version: found.version,
  });
  return { ...found, auditEventId };
}

/** The filters of a listing of agreements: a relying agency (USCC), a type code, both or neither. */
export interface AgreementFilter {
  relyingAgency?: string | undefined;
  typeCode?: string | undefined;
}

/** A page of sharing agreements, audited (sharing_agreement.listed, naming the filters and the ids shown). */
export async function listSharingAgreements(
  filter: AgreementFilter,
  page: PageRequest,
  operator: OperatorActor,
  deps: CatalogReadDeps,
): Promise<Audited<Page<Versioned<SharingAgreement>>>> {
  const { relyingAgency, typeCode } = filter;
  const listed = relyingAgency
    ? await deps.config.listSharingAgreementsOfAgency(relyingAgency, {
        ...page,
        ...(typeCode ? { typeCode } : {}),
      })
    : typeCode
      ? await deps.config.listSharingAgreementsOfType(typeCode, page)
      : await deps.config.listSharingAgreements(page);
  const agreementIds = listed.items.map((record) => record.value.id);
  const auditEventId = await recordRead(deps, operator, 'sharing_agreement.listed', {
    ...(relyingAgency ? { relyingAgency } : {}),
    ...(typeCode ? { typeCode } : {}),
    agreements: agreementIds.length,
    agreementIds,
  });
  return { ...listed, auditEventId };
}

async function recordRead(
  deps: CatalogReadDeps,
  operator: OperatorActor,
  action: OperatorReadAction,
  details: NonNullable<AuditEvent['details']>,
): Promise<string> {
  const event = adminChangeEvent(deps, operator, action, { details });
  await deps.audit.record(event);
  return event.id;
}
