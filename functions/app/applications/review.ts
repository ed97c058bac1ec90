import { isDeepStrictEqual } from 'node:util';
import {
  type Application,
  type ApplicationState,
  advanceApplication,
  checkStep,
  recordedNote,
} from '#core/applications/application.ts';
import { type LicenseType, mayIssue } from '#core/catalog/license-type.ts';
import { ConcurrentModification } from '#core/storage-errors.ts';
import type { StoredApplication, StoredStep } from '#ports/application-store.ts';
import type { Page, PageRequest } from '#ports/page.ts';
import { issueLicenseOnce } from '../issue-license.ts';
import {
  checkLicense,
  type IssuanceDeps,
  type IssuerCaller,
  issuableType,
  issueDay,
  type LicenseRequest,
  type ValidityInput,
} from '../license-issuance.ts';
import {
  type ApplicationContent,
  checkedContent,
  openApplicationContent,
  openNote,
  sealApplicationContent,
} from './application-content.ts';
import { ApprovalAlreadyDecided } from './application-errors.ts';
import {
  type ApplicationDeps,
  type ApplicationView,
  applicationEvent,
  applicationsListedEvent,
  applicationView,
  auditLaterState,
  endUnlessLicensed,
  readApplication,
  serialOf,
  storedStep,
  typeOf,
} from './application-steps.ts';
import { amend } from './apply.ts';

export { serialOf };

// The issuing agency's side of an application (审核 → 颁发): its queue per state, one
// application with the applicant's data and attachments (an audited read), a request for more
// information, a rejection with its reason, and an approval that issues the license through the
// same use case as POST /licenses. An agency sees only applications addressed to it for types it
// may still issue; any other reads as not found.

export interface ReviewDeps extends ApplicationDeps {
  issuance: IssuanceDeps;
}

/**
 * The agency's applications in one state, least recently changed first: state and times only, but
 * which holder accounts applied for what, so the read is audited (application.listed, naming the
 * applications shown) before it is answered.
 */
export async function agencyApplications(
  caller: IssuerCaller,
  state: ApplicationState,
  page: PageRequest | undefined,
  deps: Pick<ApplicationDeps, 'applications' | 'config' | 'audit' | 'now' | 'newEventId'>,
): Promise<Page<Application> & { auditEventId: string }> {
  const listed = await deps.applications.listByAgency(caller.agency, state, page);
  const issuable = new Map<string, Promise<boolean>>();
  const visible = await Promise.all(
    listed.items.map((application) => {
      let may = issuable.get(application.typeCode);
      if (may === undefined) {
        may = mayStillIssue(deps, caller, application);
        issuable.set(application.typeCode, may);
      }
      return may;
    }),
  );
  const items = listed.items.filter((_, i) => visible[i]);
  const event = applicationsListedEvent(deps, actorOf(caller), items, { state });
  await deps.audit.record(event);
  return { ...listed, items, auditEventId: event.id };
}

/**
 * One application with the applicant's data, attachments and history; the read is audited
 * (application.viewed) before it is answered, with the event's id.
 */
export async function agencyApplication(
  caller: IssuerCaller,
  applicationId: string,
  deps: ApplicationDeps,
): Promise<ApplicationView & { auditEventId: string }> {
  const { stored, history } = await readApplication(deps, applicationId, (a) =>
    mayStillIssue(deps, caller, a),
  );
  const view = await applicationView(deps, stored, history);
  const event = applicationEvent(
    deps,
    actorOf(caller),
    'application.viewed',
    deps.now().toISOString(),
    stored.application,
  );
  await deps.audit.record(event);
  return { ...view, auditEventId: event.id };
}

/** 补正: asks the applicant for more information (the note says what). */
export function requestInformation(
  caller: IssuerCaller,
  applicationId: string,
  request: { note: string },
  deps: ApplicationDeps,
): Promise<ApplicationView> {
  return recordAgencyStep(caller, applicationId, 'request-info', request.note, deps);
}

/**
 * 不予许可: rejects the application with its reason — an approving one too, while the license of
 * its approval was not written (a decision whose data no longer issues is not stuck for ever).
 */
export async function rejectApplication(
  caller: IssuerCaller,
  applicationId: string,
  request: { reason: string; expectedVersion?: number | undefined },
  deps: ReviewDeps,
): Promise<ApplicationView> {
  const { stored } = await readApplication(deps, applicationId, (a) => mayStillIssue(deps, caller, a));
  // The step is written on condition of the version checked here, so none can slip in between.
  readVersionStands(request.expectedVersion, stored.application);
  return endUnlessLicensed(
    { ...deps, licenses: deps.issuance.licenses, blindIndex: deps.issuance.blindIndex },
    stored,
    () => recordAgencyStep(caller, applicationId, 'reject', request.reason, deps, { stored }),
  );
}

export interface ApproveRequest {
  /** Fields the agency corrects or completes: a value replaces the field, null removes it. */
  data?: Record<string, unknown> | undefined;
  validity?: ValidityInput | undefined;
  note?: string | undefined;
  /**
   * The version of the application the reviewer read (the request's If-Match): the approval is
   * refused if the application changed since — unless the change is a decision made on that very
   * version, which this approval then finishes (only with that decision's terms when it changed
   * the data: onlyFinishes).
   */
  expectedVersion?: number | undefined;
}

export interface Approval {
  application: ApplicationView;
  license: { licenseId: string; version: string };
}

/**
 * 颁发: issues the license with the applied data (as amended) to the applicant's identity and
 * records its id on the application, in two recorded steps: `approve` (→ approving) records the
 * decision first, then the license is issued — marking the application in the same write, after
 * which it can no longer be rejected or withdrawn — and `issue` (→ approved) records its id. The license serial is derived from the application id, so the
 * license id is too: an approval that stopped part way (a failure between the steps, or a race
 * of two approvals) is completed by approving again, which meets LicenseAlreadyExists instead of
 * issuing a second license and records the one the first issued.
 */
export async function approveApplication(
  caller: IssuerCaller,
  applicationId: string,
  request: ApproveRequest,
  deps: ReviewDeps,
): Promise<Approval> {
  const read = await readApplication(deps, applicationId, (a) => mayStillIssue(deps, caller, a));
  decidedOnReadVersion(request.expectedVersion, read);
  let { stored } = read;
  if (stored.application.state === 'approving') {
    await onlyFinishes(request, read, deps);
  } else {
    checkStep(stored.application, 'approve');
    // The data as the agency corrects it is sealed with the decision: whoever finishes the
    // approval (a retry, a rival approval) issues exactly what was decided.
    const applied = await openApplicationContent(deps.cipher, applicationId, stored.sealedContent);
    // Refuse what the license type would refuse before the decision is recorded: it is final.
    const { type } = await issuableType(deps.issuance.config, caller.agency, stored.application.typeCode);
    const decided = await decidedContent(type, stored.application, applied, request, deps);
    const sealedContent = await sealApplicationContent(deps.cipher, applicationId, decided);
    // The decided data is what the license is issued with; when it differs from what the holder
    // applied with, the applied stays beside it, sealed as it was, for both parties to read; the step
    // then says so and its event names the fields changed (names only — values are the
    // applicant's, kept sealed).
    const changed = changedFields(applied, decided);
    const next: StoredApplication = {
      ...stored,
      sealedContent,
      ...(changed.length > 0 ? { sealedApplied: stored.sealedContent } : {}),
    };
    const outcome = await decide(caller, next, request, deps, changed);
    // Another approval decided first: finish it, with its data and note — unless this one brought its own.
    if (outcome.history !== undefined) {
      await onlyFinishes(request, { stored: outcome.stored, history: outcome.history }, deps);
    }
    stored = outcome.stored;
  }
  const content = await openApplicationContent(deps.cipher, applicationId, stored.sealedContent);
  const licenseRequest = await licenseRequestOf(stored.application, content, deps);
  // Or finds the one an earlier attempt issued. Written only while the application is still
  // approving: a rejection or withdrawal that landed meanwhile wins, and no license is left.
  const { licenseId } = await issueLicenseOnce(
    { ...licenseRequest, approving: applicationId },
    caller,
    deps.issuance,
  ).catch(async (error: unknown) => {
    if (!(error instanceof ConcurrentModification)) throw error;
    const now = await readApplication(deps, applicationId, () => true);
    checkStep(now.stored.application, 'issue'); // the refusal naming the state it is in now
    throw error;
  });
  try {
    const view = await recordAgencyStep(caller, applicationId, 'issue', undefined, deps, {
      stored,
      licenseId,
    });
    return { application: view, license: { licenseId, version: '001' } };
  } catch (error) {
    // A concurrent approval of the same application issued the same license and recorded it first.
    if (!(error instanceof ConcurrentModification)) throw error;
    const read = await readApplication(deps, applicationId, () => true);
    if (read.stored.application.licenseId !== licenseId) throw error;
    // No step of this approval was recorded, so its answer — the applicant's data and
    // attachment links — is a read like any other, audited before it is given.
    const { auditEventId: _read, ...view } = await agencyApplication(caller, applicationId, deps);
    return { application: view, license: { licenseId, version: '001' } };
  }
}

/**
 * An approval that meets a decision already recorded (its own earlier attempt's, or a rival's
 * that landed first) can only finish it: the decision's data, validity and note are what is
 * issued and what the applicant reads. Terms of its own would be silently dropped, so they are
 * refused (409) before anything is written — data or validity that do not amend the applied
 * content to the decided one, or a note the decision does not carry. The same terms are the same
 * decision (a retry whose first run failed past the decision, so no idempotency record kept its
 * answer): it finishes. They are told from the sealed contents, not from a digest of the request
 * kept beside them — an unkeyed hash of a birth date or an address is a dictionary oracle for it
 * (a `requestDigest` on decisions stored before is ignored).
 */
async function onlyFinishes(
  request: ApproveRequest,
  read: { stored: StoredApplication; history: readonly StoredStep[] },
  deps: ReviewDeps,
): Promise<void> {
  const { stored, history } = read;
  const { application } = stored;
  const decision = history.findLast((step) => step.action === 'approve');
  const terms = request.data !== undefined || request.validity !== undefined;
  // Under If-Match of the version before the decision (decidedOnReadVersion), a decision that
  // changed the data — another officer's corrections — was made on data this reviewer never
  // saw: finishing it without those very terms would issue them unseen. Read again (data and
  // applied both shown) and If-Match the approving version. A decision stored with dataChanged
  // but without the applied content beside it cannot be compared: read again too.
  const unseen =
    request.expectedVersion !== undefined &&
    request.expectedVersion !== application.version &&
    (stored.sealedApplied !== undefined || decision?.dataChanged === true);
  if (terms || unseen) {
    const same =
      !(unseen && stored.sealedApplied === undefined) && (await sameDecidedContent(stored, request, deps));
    if (!same) throw new ApprovalAlreadyDecided(application.id, unseen ? application.version : undefined);
  }
  const note = recordedNote(request.note);
  if (note === undefined) return;
  const decided =
    decision?.sealedNote === undefined
      ? undefined
      : await openNote(deps.cipher, application.id, decision.seq, decision.sealedNote);
  if (decided !== note) throw new ApprovalAlreadyDecided(application.id);
}

/**
 * Whether the request's data and validity amend the applied content (as the holder applied, or
 * as it stood when decided) to the content decided — compared as decided, normalised by the
 * type. A type that no longer takes that data cannot tell: not the same.
 */
async function sameDecidedContent(
  stored: StoredApplication,
  request: ApproveRequest,
  deps: ReviewDeps,
): Promise<boolean> {
  const { application } = stored;
  const [applied, decided] = await Promise.all([
    openApplicationContent(deps.cipher, application.id, stored.sealedApplied ?? stored.sealedContent),
    openApplicationContent(deps.cipher, application.id, stored.sealedContent),
  ]);
  const type = await typeOf(deps, application.typeCode);
  if (type === undefined) return false;
  try {
    return isDeepStrictEqual(await decidedContent(type, application, applied, request, deps), decided);
  } catch {
    return false;
  }
}

/**
 * The content an approval decides: the applied one amended with its data and validity, checked
 * and normalised by the type (throws what checkLicense throws). The validity checked is the one
 * decided: a correction the type refuses must be refused before the decision is sealed, or it
 * would be sealed with a license that can never be issued. It is kept as checked, and apart only
 * when the data carries none (checkedContent), so one that restates the data's period is no change.
 */
async function decidedContent(
  type: LicenseType,
  application: Application,
  applied: ApplicationContent,
  request: ApproveRequest,
  deps: ReviewDeps,
): Promise<ApplicationContent> {
  const validity = request.validity ?? applied.validity;
  const amended = { ...applied, data: amend(applied.data, request.data), ...(validity ? { validity } : {}) };
  const checked = checkLicense(
    type,
    await licenseRequestOf(application, amended, deps),
    issueDay(deps.now()),
  );
  return checkedContent(type, checked, applied.holderCode);
}

/** The license an approval issues: the data as decided, to the applicant's identity. */
async function licenseRequestOf(
  application: Application,
  content: { data: Record<string, unknown>; holderCode: string; validity?: ValidityInput | undefined },
  deps: ReviewDeps,
): Promise<LicenseRequest & { serial: string }> {
  const type = (await typeOf(deps, application.typeCode))!;
  const name = content.data[type.holder.nameField];
  return {
    typeCode: application.typeCode,
    serial: serialOf(application.id),
    holder: {
      name: typeof name === 'string' ? name : '',
      codeType: application.holderCodeType,
      code: content.holderCode,
    },
    data: content.data,
    ...(content.validity ? { validity: content.validity } : {}),
  };
}

/**
 * Records the decision (submitted → approving) and answers the application as it now stands.
 * Losing the race to another approval of the same application is no failure: that one recorded
 * a decision, and the license is issued once either way (`history`, with that decision, tells
 * it was another's). Losing it to a withdrawal is (409).
 */
async function decide(
  caller: IssuerCaller,
  stored: StoredApplication,
  request: ApproveRequest,
  deps: ReviewDeps,
  changedFields: readonly string[],
): Promise<{ stored: StoredApplication; history?: StoredStep[] }> {
  try {
    return {
      stored: await writeAgencyStep(caller, stored, 'approve', request.note, deps, { changedFields }),
    };
  } catch (error) {
    if (!(error instanceof ConcurrentModification)) throw error;
    const read = await readApplication(deps, stored.application.id, () => true);
    if (read.stored.application.state === 'approving') {
      // The rival's decision may have been made on data this reviewer never read.
      decidedOnReadVersion(request.expectedVersion, read);
      return read;
    }
    checkStep(read.stored.application, 'approve'); // the refusal that names the state it is in now
    throw error;
  }
}

/**
 * A rejection's If-Match: the version the reviewer read is still the application's; otherwise
 * another officer or the holder changed it since (new data, a request, a decision) and the
 * reviewer decides on what they have not seen — refused as any stale If-Match is (409).
 */
function readVersionStands(expected: number | undefined, application: Application): void {
  if (expected !== undefined && application.version !== expected) {
    throw new ConcurrentModification(`application ${application.id}`, expected, application.version);
  }
}

/**
 * An approval's If-Match: as a rejection's, except that a decision recorded on the version read
 * (this approval's own earlier attempt, or a rival's on the same data) is no change of what was
 * read — approving again finishes it, as without If-Match, unless that decision changed the data
 * (onlyFinishes then asks for its very terms).
 */
function decidedOnReadVersion(
  expected: number | undefined,
  read: { stored: StoredApplication; history: readonly StoredStep[] },
): void {
  const { application } = read.stored;
  if (expected === undefined || application.version === expected) return;
  const decision = read.history.findLast((step) => step.action === 'approve');
  if (application.state === 'approving' && decision?.seq === expected + 1) return;
  readVersionStands(expected, application);
}

type AgencyAction = 'request-info' | 'reject' | 'approve' | 'issue';

const AGENCY_AUDIT_ACTIONS: Readonly<Record<AgencyAction, string>> = {
  'request-info': 'application.info_requested',
  reject: 'application.rejected',
  approve: 'application.approved',
  issue: 'application.license_issued',
};

async function recordAgencyStep(
  caller: IssuerCaller,
  applicationId: string,
  action: AgencyAction,
  note: string | undefined,
  deps: ApplicationDeps,
  given?: { stored: StoredApplication; licenseId?: string },
): Promise<ApplicationView> {
  const stored =
    given?.stored ??
    (await readApplication(deps, applicationId, (a) => mayStillIssue(deps, caller, a))).stored;
  const written = await writeAgencyStep(caller, stored, action, note, deps, { licenseId: given?.licenseId });
  const read = await readApplication(deps, applicationId, () => true);
  const view = await applicationView(deps, read.stored, read.history);
  await auditLaterState(deps, actorOf(caller), written.application, read.stored.application);
  return view;
}

/** Writes one agency step with its audit event; answers the application as stored after it. */
async function writeAgencyStep(
  caller: IssuerCaller,
  stored: StoredApplication,
  action: AgencyAction,
  note: string | undefined,
  deps: ApplicationDeps,
  extra: {
    licenseId?: string | undefined;
    changedFields?: readonly string[] | undefined;
  } = {},
): Promise<StoredApplication> {
  const actor = actorOf(caller);
  const time = deps.now().toISOString();
  const { licenseId, changedFields = [] } = extra;
  // One change set decides the step's dataChanged, the event's changedFields and (in the
  // approval) whether the applied content is kept beside the decided: corrections that change
  // nothing are no change, and a change the type's normalisation made is one.
  const dataChanged = changedFields.length > 0;
  const advanced = advanceApplication(stored.application, {
    action,
    actor,
    time,
    note,
    licenseId,
    dataChanged,
  });
  const next = { ...stored, application: advanced.application };
  await deps.applications.advance({
    next,
    step: await storedStep(deps, stored.application.id, advanced.step),
    auditEvent: applicationEvent(
      deps,
      actor,
      AGENCY_AUDIT_ACTIONS[action],
      time,
      advanced.application,
      dataChanged ? { changedFields: [...changedFields] } : {},
    ),
  });
  return next;
}

/** The names of the fields (and `validity`) the decided content changes from the applied one. */
function changedFields(applied: ApplicationContent, decided: ApplicationContent): string[] {
  const names = new Set([...Object.keys(applied.data), ...Object.keys(decided.data)]);
  const changed = [...names].filter((name) => !isDeepStrictEqual(applied.data[name], decided.data[name]));
  if (!isDeepStrictEqual(applied.validity, decided.validity)) changed.push('validity');
  return changed.sort();
}

async function mayStillIssue(
  deps: Pick<ApplicationDeps, 'config'>,
  caller: IssuerCaller,
  application: Application,
): Promise<boolean> {
  if (application.agency !== caller.agency) return false;
  const type = await typeOf(deps, application.typeCode);
  return type !== undefined && mayIssue(type, caller.agency);
}

function actorOf(caller: IssuerCaller) {
  return { kind: 'agency' as const, id: caller.agency };
}
