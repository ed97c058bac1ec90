import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type Application,
  advanceApplication,
  checkStep,
  submitApplication as startApplication,
} from '#core/applications/application.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import type { StoredApplication, StoredStep } from '#ports/application-store.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { HolderIdentityReader } from '#ports/holder-identity.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import type { Page, PageRequest } from '#ports/page.ts';
import { LicenseDataInvalid } from '../issuer-errors.ts';
import { checkLicense, issueDay, type ValidityInput } from '../license-issuance.ts';
import { requireBinding } from '../proof-identity.ts';
import {
  type ApplicationContent,
  checkedContent,
  openApplicationContent,
  sealApplicationContent,
} from './application-content.ts';
import { ApplicationKeyReused, EmptyResponse, NotTheApplicant } from './application-errors.ts';
import {
  type ApplicationDeps,
  type ApplicationView,
  applicationEvent,
  applicationsListedEvent,
  applicationView,
  auditLaterState,
  discardUnheldAttachments,
  endUnlessLicensed,
  type NewAttachment,
  readApplication,
  storeAttachments,
  storedStep,
  typeOf,
} from './application-steps.ts';

// The holder's side of an application (申请): apply for a license type as the identity the
// account is proofed as, answer the agency's request for information, withdraw, and read one's
// own applications with their whole history. Another holder's application reads as not found.

export interface HolderApplicationDeps extends ApplicationDeps {
  identities: HolderIdentityReader;
  /** Read to tell whether an approving application's license exists: then it cannot be withdrawn. */
  licenses: Pick<LicenseRepository, 'get'>;
  /** Keys the digest a keyed submission keeps of its request; tells the applicant's license from another's. */
  blindIndex: BlindIndexer;
}

export interface ApplyRequest {
  typeCode: string;
  /** USCC of the issuing agency; may be left out when the type has a single issuer. */
  agency?: string | undefined;
  /** Field name → value, checked against the type; the holder code field may be left out. */
  data: Record<string, unknown>;
  /** Only for types whose data carries no validity field. */
  validity?: ValidityInput | undefined;
  note?: string | undefined;
  attachments?: readonly NewAttachment[] | undefined;
}

/** 申请: checks the applicant's identity and data against the type, stores attachments, records the submission. */
export async function applyForLicense(
  account: string,
  request: ApplyRequest,
  deps: HolderApplicationDeps,
  options: { idempotencyKey?: string } = {},
): Promise<ApplicationView> {
  // With an Idempotency-Key the application's id follows from the account and the key, so a
  // retry (a phone that lost the answer) finds the application the first request made instead
  // of making a second one. No response is kept anywhere: the retry reads the application back.
  const keyed =
    options.idempotencyKey === undefined
      ? undefined
      : await keyedApplication(account, options.idempotencyKey, request, deps.blindIndex);
  if (keyed) {
    const made = await madeBefore(account, keyed, deps);
    if (made) return made;
  }
  const binding = await requireBinding(deps.identities, account);
  const now = deps.now();
  const type = await typeOf(deps, request.typeCode);
  if (type === undefined) {
    throw new LicenseDataInvalid([
      {
        path: 'typeCode',
        code: 'unknown-type',
        message: `no license type ${request.typeCode} is registered`,
      },
    ]);
  }
  const agency = agencyFor(type, request.agency);
  if (binding.codeType !== type.holder.codeType) {
    throw new NotTheApplicant(
      `type ${type.code} is held under holder code type ${type.holder.codeType}, and this account is proofed under ${binding.codeType}`,
    );
  }
  const content = checkApplied(type, request.data, request.validity, binding.code, now);
  const id = keyed?.id ?? (deps.newId ?? randomUUID)();
  const time = now.toISOString();
  const attachments = await storeAttachments(
    deps,
    { applicationId: id, existing: [], step: 1, added: time },
    request.attachments ?? [],
  );
  const { application, step } = startApplication({
    id,
    typeCode: type.code,
    agency,
    holderAccount: account,
    holderCodeType: binding.codeType,
    time,
    note: request.note,
    attachments: attachments.map((a) => a.sha256),
  });
  let next: StoredApplication;
  let first: StoredStep;
  // Only the write decides the attachments' fate: once it landed, the application and its audit
  // event name them, so a failure after it (building the answer) must not remove them.
  let sent = false;
  try {
    next = {
      application,
      sealedContent: await sealApplicationContent(deps.cipher, id, content),
      attachments,
    };
    first = await storedStep(deps, id, step);
    const write = {
      next,
      step: keyed ? { ...first, requestDigest: keyed.digest } : first,
      auditEvent: applicationEvent(deps, step.actor, 'application.submitted', time, application, {
        attachments: attachments.length,
      }),
    };
    sent = true;
    await deps.applications.create(write);
  } catch (error) {
    await discardUnheldAttachments(deps, id, attachments, { sent, error });
    // Two copies of one keyed request at once: the one that lost the create answers with the
    // application the other made.
    if (keyed && error instanceof ConcurrentModification) {
      const made = await madeBefore(account, keyed, deps);
      if (made) return made;
    }
    throw error;
  }
  return applicationView(deps, next, [first]);
}

interface KeyedApplication {
  id: string;
  digest: string;
}

/**
 * The id of the application an account makes with an Idempotency-Key (a UUID from SHA-256 of
 * account and key, version nibble 8: RFC 9562's custom layout), and the digest of the request.
 */
async function keyedApplication(
  account: string,
  key: string,
  request: ApplyRequest,
  blindIndex: BlindIndexer,
): Promise<KeyedApplication> {
  const hash = createHash('sha256').update(`elicense:application\n${account}\n${key}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  // Attachments by their own digests: the same request, without hashing megabytes twice over.
  const { attachments, ...rest } = request;
  const described = {
    ...rest,
    attachments: (attachments ?? []).map((a) => ({
      mediaType: a.mediaType,
      sha256: createHash('sha256').update(a.bytes).digest('base64url'),
    })),
  };
  // Keyed, by the blind index's secret (as an issuance key's serial is): the digest is stored
  // beside the id, and a bare hash of them would let anyone reading the table test guesses at
  // the applicant's low-entropy data (a birth date, an address). Hex keeps the request's case
  // (the index upper-cases what it is given); `APPLICATION-REQUEST` is no holder code type.
  const hashed = createHash('sha256').update(id).update(JSON.stringify(described)).digest('hex');
  const digest = await blindIndex.tokenFor('application-request', hashed);
  return { id, digest };
}

/** The application a keyed request made before, read (and the read audited) as the holder reads it; undefined when none. */
async function madeBefore(
  account: string,
  keyed: KeyedApplication,
  deps: HolderApplicationDeps,
): Promise<ApplicationView | undefined> {
  const found = await deps.applications.get(keyed.id);
  if (found === undefined) return undefined;
  if (
    found.stored.application.holderAccount !== account ||
    found.history[0]?.requestDigest !== keyed.digest
  ) {
    throw new ApplicationKeyReused();
  }
  // The retry answers what the first request did, the application: the read's event id is no part of it.
  const { auditEventId: _read, ...view } = await holderApplication(account, keyed.id, deps);
  return view;
}

export interface RespondRequest {
  note?: string | undefined;
  /** Fields to change: name → new value, null to remove one; the rest stays as applied. */
  data?: Record<string, unknown> | undefined;
  validity?: ValidityInput | undefined;
  attachments?: readonly NewAttachment[] | undefined;
}

/** Answers the agency's request for information: a note, corrected data, more attachments; back to submitted. */
export async function respondToApplication(
  account: string,
  applicationId: string,
  request: RespondRequest,
  deps: HolderApplicationDeps,
): Promise<ApplicationView> {
  // `data: {}` names no field: it changes nothing, and must neither count as an answer nor be
  // recorded as changed data.
  const changesData =
    (request.data !== undefined && Object.keys(request.data).length > 0) || request.validity !== undefined;
  if (!request.note?.trim() && !changesData && (request.attachments?.length ?? 0) === 0) {
    throw new EmptyResponse();
  }
  const { stored } = await readApplication(deps, applicationId, ownedBy(account));
  const { application } = stored;
  checkStep(application, 'respond');
  const now = deps.now();
  let sealedContent = stored.sealedContent;
  // Changed only when the content checked differs from the stored one: fields restated as they
  // stand (or as the type normalises them to) are an answer, not a change.
  let dataChanged = false;
  if (changesData) {
    const type = await typeOf(deps, application.typeCode);
    if (type === undefined) {
      throw new LicenseDataInvalid([
        {
          path: 'typeCode',
          code: 'unknown-type',
          message: `license type ${application.typeCode} is no longer registered`,
        },
      ]);
    }
    const applied = await openApplicationContent(deps.cipher, application.id, stored.sealedContent);
    const content = checkApplied(
      type,
      amend(applied.data, request.data),
      request.validity ?? applied.validity,
      applied.holderCode,
      now,
    );
    dataChanged = !isDeepStrictEqual(content, applied);
    if (dataChanged) sealedContent = await sealApplicationContent(deps.cipher, application.id, content);
  }
  const time = now.toISOString();
  const seq = application.version + 1;
  const added = await storeAttachments(
    deps,
    { applicationId: application.id, existing: stored.attachments, step: seq, added: time },
    request.attachments ?? [],
  );
  return recordHolderStep(deps, stored, sealedContent, added, {
    action: 'respond',
    account,
    time,
    note: request.note,
    dataChanged,
    auditAction: 'application.responded',
  });
}

/** Withdraws an application while no license was issued for it (an approving one too, until then). */
export async function withdrawApplication(
  account: string,
  applicationId: string,
  request: { note?: string | undefined },
  deps: HolderApplicationDeps,
): Promise<ApplicationView> {
  const { stored } = await readApplication(deps, applicationId, ownedBy(account));
  return endUnlessLicensed(deps, stored, () =>
    recordHolderStep(deps, stored, stored.sealedContent, [], {
      action: 'withdraw',
      account,
      time: deps.now().toISOString(),
      note: request.note,
      auditAction: 'application.withdrawn',
    }),
  );
}

/**
 * The account's applications, newest first: state and times only — but which licenses a person
 * applied for, where, and how it stands, so the read is audited before it is answered
 * (application.listed, naming the application ids, as application.viewed names its one).
 */
export async function holderApplications(
  account: string,
  page: PageRequest | undefined,
  deps: Pick<ApplicationDeps, 'applications' | 'audit' | 'now' | 'newEventId'>,
): Promise<Page<Application> & { auditEventId: string }> {
  const listed = await deps.applications.listByHolder(account, page);
  const event = applicationsListedEvent(deps, { kind: 'holder', id: account }, listed.items);
  await deps.audit.record(event);
  return { ...listed, auditEventId: event.id };
}

/**
 * One of the account's applications with its data, attachments and history; the read is audited
 * (application.viewed) before it is answered, with the event's id.
 */
export async function holderApplication(
  account: string,
  applicationId: string,
  deps: HolderApplicationDeps,
): Promise<ApplicationView & { auditEventId: string }> {
  const { stored, history } = await readApplication(deps, applicationId, ownedBy(account));
  const view = await applicationView(deps, stored, history);
  const event = applicationEvent(
    deps,
    { kind: 'holder', id: account },
    'application.viewed',
    deps.now().toISOString(),
    stored.application,
  );
  await deps.audit.record(event);
  return { ...view, auditEventId: event.id };
}

async function recordHolderStep(
  deps: ApplicationDeps,
  stored: Awaited<ReturnType<typeof readApplication>>['stored'],
  sealedContent: Uint8Array,
  added: Awaited<ReturnType<typeof storeAttachments>>,
  step: {
    action: 'respond' | 'withdraw';
    account: string;
    time: string;
    note: string | undefined;
    dataChanged?: boolean;
    auditAction: string;
  },
): Promise<ApplicationView> {
  const actor = { kind: 'holder' as const, id: step.account };
  const advanced = advanceApplication(stored.application, {
    action: step.action,
    actor,
    time: step.time,
    note: step.note,
    attachments: added.map((a) => a.sha256),
    dataChanged: step.dataChanged,
  });
  const id = advanced.application.id;
  const next = {
    application: advanced.application,
    sealedContent,
    // A withdrawal of an approving application keeps what was applied beside what was decided.
    ...(stored.sealedApplied === undefined ? {} : { sealedApplied: stored.sealedApplied }),
    attachments: [...stored.attachments, ...added],
  };
  // As in applyForLicense: the added attachments go only with a write that certainly did not land.
  let sent = false;
  try {
    const write = {
      next,
      step: await storedStep(deps, id, advanced.step),
      auditEvent: applicationEvent(deps, actor, step.auditAction, step.time, advanced.application, {
        ...(added.length > 0 ? { attachments: added.length } : {}),
      }),
    };
    sent = true;
    await deps.applications.advance(write);
  } catch (error) {
    await discardUnheldAttachments(deps, id, added, { sent, error });
    throw error;
  }
  const read = await deps.applications.get(id);
  if (read === undefined) throw new Error(`application ${id} vanished after a step was recorded`);
  const view = await applicationView(deps, read.stored, read.history);
  await auditLaterState(deps, actor, advanced.application, read.stored.application);
  return view;
}

function ownedBy(account: string): (application: Application) => boolean {
  return (application) => application.holderAccount === account;
}

/** The agency an application goes to: the one named, if it issues the type, or the type's only issuer. */
function agencyFor(type: LicenseType, named: string | undefined): string {
  if (named !== undefined) {
    if (type.issuers.includes(named)) return named;
    throw new LicenseDataInvalid([
      { path: 'agency', code: 'not-an-issuer', message: `agency ${named} does not issue type ${type.code}` },
    ]);
  }
  if (type.issuers.length === 1) return type.issuers[0]!;
  throw new LicenseDataInvalid([
    {
      path: 'agency',
      code: 'missing',
      message: `type ${type.code} has ${type.issuers.length} issuers; name one of ${type.issuers.join(', ')}`,
    },
  ]);
}

/**
 * The applied data checked as issuance will check it — one error per bad field — with the
 * applicant's holder code filled in when left out, and refused if it names anyone else.
 */
function checkApplied(
  type: LicenseType,
  data: Record<string, unknown>,
  validity: ValidityInput | undefined,
  holderCode: string,
  now: Date,
): ApplicationContent {
  const codeField = type.holder.codeField;
  const given = data[codeField];
  const withCode =
    given === undefined || given === null || given === '' ? { ...data, [codeField]: holderCode } : data;
  const checked = checkLicense(type, { data: withCode, validity }, issueDay(now));
  if (checked.holder.code !== holderCode) {
    throw new NotTheApplicant(`${codeField} must be the applicant's own holder code`);
  }
  return checkedContent(type, checked, holderCode);
}

/** The applied data with changes: a value replaces the field, null removes it. */
export function amend(
  data: Readonly<Record<string, unknown>>,
  changes: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const amended: Record<string, unknown> = { ...data };
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === null) delete amended[name];
    else amended[name] = value;
  }
  return amended;
}
