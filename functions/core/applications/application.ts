// A license application (申请 → 审核 → 颁发): a holder applies to an issuing agency for a license
// of one type; the agency asks for more information, approves (the license is issued) or rejects;
// the holder answers or withdraws. This module is the state machine alone: which action is
// allowed from which state, by whom, with what note — every step recorded with its actor and time.
//
//   submitted ──request-info (agency, note)──▶ info-requested ──respond (holder)──▶ submitted
//   submitted ──approve (agency)──▶ approving ──issue (agency, license id)──▶ approved
//   submitted | info-requested | approving ──reject (agency, reason)──▶ rejected
//   submitted | info-requested | approving ──withdraw (holder)──▶ withdrawn
//
// approved, rejected and withdrawn are final: nothing leaves them. Approving is two steps so
// that the decision is recorded before the license exists. An approving application may still be
// rejected or withdrawn while no license was written for it — else a decision whose data stopped
// passing issuance (a field the type now requires, a validity now past) would hold it forever —
// but once its license is written only `issue`, which records that license, may follow. That
// second rule needs the license store and is the app layer's and the stores' (review.ts).
import {
  ApplicationActorRefused,
  ApplicationNoteRequired,
  IllegalApplicationTransition,
  LicenseIdRequired,
} from './errors.ts';

export const APPLICATION_STATES = [
  'submitted',
  'info-requested',
  'approving',
  'approved',
  'rejected',
  'withdrawn',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export const FINAL_APPLICATION_STATES: ReadonlySet<ApplicationState> = new Set([
  'approved',
  'rejected',
  'withdrawn',
]);

/** What can happen to an application after it was submitted. */
export const APPLICATION_ACTIONS = [
  'request-info',
  'respond',
  'approve',
  'issue',
  'reject',
  'withdraw',
] as const;
export type ApplicationAction = (typeof APPLICATION_ACTIONS)[number];

/** Who acts: the applying holder account, or the issuing agency (its USCC). */
export interface ApplicationActor {
  kind: 'holder' | 'agency';
  id: string;
}

/** The state of an application, without the applied data (which the app layer seals). */
export interface Application {
  /** UUID, chosen at submission. */
  id: string;
  /** GB/T 36904 type code of the license applied for. */
  typeCode: string;
  /** USCC of the issuing agency the application is addressed to. */
  agency: string;
  /** The applying holder account (the `sub` of its access tokens). */
  holderAccount: string;
  /** Holder code type of the applicant's proofed identity (`111`, `001`, …); the code itself is sealed. */
  holderCodeType: string;
  state: ApplicationState;
  /** RFC 3339 UTC, with milliseconds. */
  created: string;
  /** Time of the latest step. */
  updated: string;
  /** 1 at submission, +1 per step: the optimistic lock of the store and the number of the latest step. */
  version: number;
  /** The license issued on approval; present exactly when the state is approved. */
  licenseId?: string;
}

/** One step of an application's history. */
export interface ApplicationStep {
  /** 1 for the submission, then 2, 3, …: equal to the application's version after the step. */
  seq: number;
  action: 'submit' | ApplicationAction;
  /** null for the submission. */
  from: ApplicationState | null;
  to: ApplicationState;
  actor: ApplicationActor;
  time: string;
  /** The agency's request or reason, or the holder's message. */
  note?: string;
  /** The license issued, on approval. */
  licenseId?: string;
  /** Digests (SHA-256, base64url) of the attachments added with this step. */
  attachments?: string[];
  /** Whether the holder replaced the applied data with this step. */
  dataChanged?: boolean;
}

interface Rule {
  by: ApplicationActor['kind'];
  from: readonly ApplicationState[];
  to: ApplicationState;
  /** The agency must say what it needs or why it refuses; the holder need not explain. */
  noteRequired: boolean;
}

const RULES: Readonly<Record<ApplicationAction, Rule>> = {
  'request-info': { by: 'agency', from: ['submitted'], to: 'info-requested', noteRequired: true },
  respond: { by: 'holder', from: ['info-requested'], to: 'submitted', noteRequired: false },
  approve: { by: 'agency', from: ['submitted'], to: 'approving', noteRequired: false },
  issue: { by: 'agency', from: ['approving'], to: 'approved', noteRequired: false },
  reject: {
    by: 'agency',
    from: ['submitted', 'info-requested', 'approving'],
    to: 'rejected',
    noteRequired: true,
  },
  withdraw: {
    by: 'holder',
    from: ['submitted', 'info-requested', 'approving'],
    to: 'withdrawn',
    noteRequired: false,
  },
};

export interface NewApplication {
  id: string;
  typeCode: string;
  agency: string;
  holderAccount: string;
  holderCodeType: string;
  time: string;
  note?: string | undefined;
  attachments?: readonly string[] | undefined;
}

/** A submitted application and its first step. */
export function submitApplication(input: NewApplication): {
  application: Application;
  step: ApplicationStep;
} {
  const application: Application = {
    id: input.id,
    typeCode: input.typeCode,
    agency: input.agency,
    holderAccount: input.holderAccount,
    holderCodeType: input.holderCodeType,
    state: 'submitted',
    created: input.time,
    updated: input.time,
    version: 1,
  };
  const step: ApplicationStep = {
    seq: 1,
    action: 'submit',
    from: null,
    to: 'submitted',
    actor: { kind: 'holder', id: input.holderAccount },
    time: input.time,
    ...noteOf(input.note),
    ...attachmentsOf(input.attachments),
  };
  return { application, step };
}

export interface StepRequest {
  action: ApplicationAction;
  actor: ApplicationActor;
  time: string;
  note?: string | undefined;
  /** Required to record the issued license (`issue`). */
  licenseId?: string | undefined;
  attachments?: readonly string[] | undefined;
  dataChanged?: boolean | undefined;
}

/** Whether `action` is allowed from the application's state; throws the typed refusal when not. */
export function checkStep(application: Application, action: ApplicationAction): void {
  const rule = RULES[action];
  if (!rule.from.includes(application.state)) {
    throw new IllegalApplicationTransition(application.id, action, application.state, rule.from);
  }
}

/**
 * The application after one step, and the step for its history. Refuses (typed errors) an action
 * not allowed from the current state, by the wrong party, or without the note or license id it
 * needs; the application given is never changed.
 */
export function advanceApplication(
  application: Application,
  request: StepRequest,
): { application: Application; step: ApplicationStep } {
  const rule = RULES[request.action];
  const party = rule.by === 'holder' ? application.holderAccount : application.agency;
  if (request.actor.kind !== rule.by || request.actor.id !== party) {
    throw new ApplicationActorRefused(application.id, request.action, rule.by);
  }
  checkStep(application, request.action);
  const note = noteOf(request.note);
  if (rule.noteRequired && note.note === undefined) {
    throw new ApplicationNoteRequired(request.action);
  }
  const licenseId = request.licenseId?.trim();
  if (request.action === 'issue' && !licenseId) throw new LicenseIdRequired(application.id);
  const seq = application.version + 1;
  const next: Application = {
    ...application,
    state: rule.to,
    updated: request.time,
    version: seq,
    ...(request.action === 'issue' ? { licenseId } : {}),
  };
  const step: ApplicationStep = {
    seq,
    action: request.action,
    from: application.state,
    to: rule.to,
    actor: { ...request.actor },
    time: request.time,
    ...note,
    ...(request.action === 'issue' ? { licenseId } : {}),
    ...attachmentsOf(request.attachments),
    ...(request.dataChanged ? { dataChanged: true } : {}),
  };
  return { application: next, step };
}

/** Whether nothing can happen to the application any more. */
export function isFinal(state: ApplicationState): boolean {
  return FINAL_APPLICATION_STATES.has(state);
}

function noteOf(note: string | undefined): { note?: string } {
  const recorded = recordedNote(note);
  return recorded === undefined ? {} : { note: recorded };
}

/** A note as a step records it: trimmed, NFC; a blank one is none. */
export function recordedNote(note: string | undefined): string | undefined {
  return note?.trim().normalize('NFC') || undefined;
}

function attachmentsOf(attachments: readonly string[] | undefined): { attachments?: string[] } {
  return attachments && attachments.length > 0 ? { attachments: [...attachments] } : {};
}
