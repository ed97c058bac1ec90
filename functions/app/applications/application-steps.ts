import { randomUUID } from 'node:crypto';
import type { Application, ApplicationActor, ApplicationStep } from '#core/applications/application.ts';
import { ApplicationNotFound } from '#core/applications/errors.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import { buildLicenseId, parseLicenseId } from '#core/identifiers/license-id.ts';
import type { DocumentMediaType } from '#core/layout-document/format.ts';
import { ConcurrentModification, writeRefused } from '#core/storage-errors.ts';
import type {
  ApplicationStore,
  AttachmentRef,
  StoredApplication,
  StoredStep,
} from '#ports/application-store.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { DocumentStore } from '#ports/document-store.ts';
import type { FieldCipher } from '#ports/field-cipher.ts';
import type { LicenseRepository } from '#ports/license-repository.ts';
import { applicationDocumentOwner } from '../document-owner.ts';
import { openApplicationContent, openNote, sealNote } from './application-content.ts';
import { ApprovalLicenseIssued, AttachmentsTooLarge, TooManyAttachments } from './application-errors.ts';

// What the holder's and the agency's application use cases share: their ports, attachments
// (stored before the step that names them, removed again if the store refused the step), sealed
// notes, audit events, and the view of an application either party reads.

export interface ApplicationDeps {
  applications: ApplicationStore;
  config: Pick<ConfigStore, 'getLicenseType'>;
  cipher: FieldCipher;
  /** The documents bucket: attachments are stored, bound by digest and handed out presigned. */
  documents: Pick<DocumentStore, 'put' | 'delete' | 'presignDownload'>;
  /** Records reads that return the applicant's data (a write records its event itself). */
  audit: AuditLogWriter;
  now: () => Date;
  newId?: () => string;
  newEventId?: () => string;
}

/** An attachment as uploaded: its bytes, declared media type and, optionally, the digest it must have. */
export interface NewAttachment {
  bytes: Uint8Array;
  mediaType: string;
  sha256?: string | undefined;
}

/**
 * Bounds on attachments: 2 MiB each and 4 MiB per request keep a request, base64 in JSON
 * (4/3 larger), under Lambda's 6 MB payload; 20 per application keep the item small.
 */
export const ATTACHMENT_LIMITS = {
  maxBytes: 2 * 1024 * 1024,
  maxRequestBytes: 4 * 1024 * 1024,
  perRequest: 3,
  perApplication: 20,
} as const;

/** How long an attachment's download link lives. */
export const ATTACHMENT_URL_SECONDS = 300;

/** Where new attachments go: the application, what it holds already, and the step that adds them. */
export interface AttachmentTarget {
  applicationId: string;
  existing: readonly AttachmentRef[];
  step: number;
  /** The step's time. */
  added: string;
}

/**
 * Stores the new attachments (a digest already attached is not stored twice), each recorded with
 * its application as owner so that the sweep can tell whether the application holds it; undoes
 * all on failure.
 */
export async function storeAttachments(
  deps: Pick<ApplicationDeps, 'documents'>,
  target: AttachmentTarget,
  attachments: readonly NewAttachment[],
): Promise<AttachmentRef[]> {
  const { existing, step, added } = target;
  if (attachments.length > ATTACHMENT_LIMITS.perRequest) {
    throw new TooManyAttachments(attachments.length, ATTACHMENT_LIMITS.perRequest, 'per request');
  }
  if (existing.length + attachments.length > ATTACHMENT_LIMITS.perApplication) {
    throw new TooManyAttachments(
      existing.length + attachments.length,
      ATTACHMENT_LIMITS.perApplication,
      'per application',
    );
  }
  for (const attachment of attachments) {
    if (attachment.bytes.byteLength > ATTACHMENT_LIMITS.maxBytes) {
      throw new AttachmentsTooLarge(attachment.bytes.byteLength, ATTACHMENT_LIMITS.maxBytes, 'an attachment');
    }
  }
  const total = attachments.reduce((sum, a) => sum + a.bytes.byteLength, 0);
  if (total > ATTACHMENT_LIMITS.maxRequestBytes) {
    throw new AttachmentsTooLarge(total, ATTACHMENT_LIMITS.maxRequestBytes, 'the attachments of one request');
  }
  const stored: AttachmentRef[] = [];
  try {
    for (const attachment of attachments) {
      const document = await deps.documents.put({
        bytes: attachment.bytes,
        mediaType: attachment.mediaType,
        ...(attachment.sha256 ? { sha256: attachment.sha256 } : {}),
        owner: applicationDocumentOwner(target.applicationId),
      });
      if ([...existing, ...stored].some((a) => a.sha256 === document.sha256)) {
        await deps.documents.delete(document.key);
        continue;
      }
      stored.push({ ...document, step, added });
    }
  } catch (error) {
    await discardAttachments(deps, stored);
    throw error;
  }
  return stored;
}

/** Removes attachments whose step was not recorded; best effort, they are unreachable anyway. */
export async function discardAttachments(
  deps: Pick<ApplicationDeps, 'documents'>,
  attachments: readonly AttachmentRef[],
): Promise<void> {
  await Promise.allSettled(attachments.map((a) => deps.documents.delete(a.key)));
}

/**
 * After a step's write failed: removes the attachments it added — only when the write certainly
 * did not land, because it failed before it was sent or the store refused it (writeRefused) —
 * unless the application holds them all the same. Any other failure (a timeout, a connection
 * reset) may still commit a moment later, after any read here could look, and the application
 * would then name bytes already gone: they stay, owned by the application, and if the write never
 * lands the daily sweep of documents nothing holds removes them (sweep-unheld-documents.ts).
 */
export async function discardUnheldAttachments(
  deps: Pick<ApplicationDeps, 'applications' | 'documents'>,
  applicationId: string,
  added: readonly AttachmentRef[],
  failure: { sent: boolean; error: unknown },
): Promise<void> {
  if (added.length === 0 || (failure.sent && !writeRefused(failure.error))) return;
  let held: Set<string>;
  try {
    const current = await deps.applications.get(applicationId);
    held = new Set(current?.stored.attachments.map((a) => a.key));
  } catch {
    return;
  }
  await discardAttachments(
    deps,
    added.filter((a) => !held.has(a.key)),
  );
}

/** The step as stored: its note sealed. */
export async function storedStep(
  deps: Pick<ApplicationDeps, 'cipher'>,
  applicationId: string,
  step: ApplicationStep,
): Promise<StoredStep> {
  const { note, ...rest } = step;
  return note === undefined
    ? rest
    : { ...rest, sealedNote: await sealNote(deps.cipher, applicationId, step.seq, note) };
}

/** The audit event of a step or a read of an application. */
export function applicationEvent(
  deps: Pick<ApplicationDeps, 'newEventId'>,
  actor: ApplicationActor,
  action: string,
  time: string,
  application: Application,
  details: NonNullable<AuditEvent['details']> = {},
): AuditEvent {
  const parsed = application.licenseId ? parseLicenseId(application.licenseId) : undefined;
  return {
    id: deps.newEventId?.() ?? randomUUID(),
    time,
    actor: { kind: actor.kind, id: actor.id },
    action,
    subject: {
      typeCode: application.typeCode,
      ...(application.licenseId ? { licenseId: application.licenseId } : {}),
      ...(parsed?.valid ? { licenseVersion: parsed.parts.version } : {}),
    },
    outcome: 'success',
    // The version pins what was written or shown: each step makes one, and the history keeps all.
    details: {
      applicationId: application.id,
      state: application.state,
      version: application.version,
      ...details,
    },
  };
}

/**
 * The event of a read of a list of applications, by the holder or the agency: it names the
 * applications shown (ids only — the list carries no applied data), so the log tells who saw which.
 */
export function applicationsListedEvent(
  deps: Pick<ApplicationDeps, 'newEventId' | 'now'>,
  actor: ApplicationActor,
  shown: readonly Application[],
  details: Record<string, string> = {},
): AuditEvent {
  return {
    id: deps.newEventId?.() ?? randomUUID(),
    time: deps.now().toISOString(),
    actor: { kind: actor.kind, id: actor.id },
    action: 'application.listed',
    outcome: 'success',
    details: { ...details, applications: shown.length, applicationIds: shown.map((a) => a.id) },
  };
}

/**
 * A step answers the application as it stands after it, read again: when another party's step
 * landed in between (the holder's response with new data and attachments), the answer shows what
 * the step's own event does not name, so it is recorded as a read (application.viewed) before it
 * is handed out.
 */
export async function auditLaterState(
  deps: Pick<ApplicationDeps, 'audit' | 'now' | 'newEventId'>,
  actor: ApplicationActor,
  written: Application,
  answered: Application,
): Promise<void> {
  if (answered.version === written.version) return;
  await deps.audit.record(
    applicationEvent(deps, actor, 'application.viewed', deps.now().toISOString(), answered),
  );
}

/** A stored application, or ApplicationNotFound when it is missing or `visible` says the caller may not see it. */
export async function readApplication(
  deps: Pick<ApplicationDeps, 'applications'>,
  applicationId: string,
  visible: (application: Application) => boolean | Promise<boolean>,
): Promise<{ stored: StoredApplication; history: StoredStep[] }> {
  const read = await deps.applications.get(applicationId);
  if (read === undefined || !(await visible(read.stored.application))) {
    throw new ApplicationNotFound(applicationId);
  }
  return read;
}

/**
 * The license serial of an application's license: the application id's letters and digits,
 * upper-case (a UUID's 32 hex digits), within the 32 characters of `[0-9A-Z]` a serial may have.
 */
export function serialOf(applicationId: string): string {
  return applicationId
    .replace(/[^0-9A-Za-z]/g, '')
    .toUpperCase()
    .slice(0, 32);
}

/** The id of the license an application's approval issues: its serial is the application's. */
export function approvalLicenseId(application: Application): string {
  return buildLicenseId({
    typeCode: application.typeCode,
    issuerCode: application.agency,
    serial: serialOf(application.id),
    version: '001',
  });
}

/**
 * Writes a step that ends an application (reject, withdraw) — refused (ApprovalLicenseIssued)
 * when it is approving and the license of its approval exists. The license store is asked (a
 * license written before the store marked applications counts too); a license written after
 * that look marks the application in its own write, and the store then refuses this step's.
 * A license under the approval's serial counts only when it is the applicant's (its holder index,
 * as issueLicenseOnce meets it): the agency's own POST /licenses may name that serial for another
 * holder, and the approval could then never issue — the application must still be endable.
 */
export async function endUnlessLicensed<T>(
  deps: Pick<ApplicationDeps, 'applications' | 'cipher'> & {
    licenses: Pick<LicenseRepository, 'get'>;
    blindIndex: BlindIndexer;
  },
  stored: StoredApplication,
  write: () => Promise<T>,
): Promise<T> {
  const { application } = stored;
  if (application.state !== 'approving') return write();
  if (stored.licenseWritten !== undefined) {
    throw new ApprovalLicenseIssued(application.id, stored.licenseWritten);
  }
  const licenseId = approvalLicenseId(application);
  const found = await deps.licenses.get(licenseId);
  if (found !== undefined) {
    const { holderCode } = await openApplicationContent(deps.cipher, application.id, stored.sealedContent);
    const applicant = await deps.blindIndex.tokenFor(application.holderCodeType, holderCode);
    if (found.holderIndex === applicant) throw new ApprovalLicenseIssued(application.id, licenseId);
  }
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof ConcurrentModification)) throw error;
    const now = await deps.applications.get(application.id);
    const written = now?.stored.licenseWritten;
    if (written !== undefined) throw new ApprovalLicenseIssued(application.id, written);
    throw error;
  }
}

/** The registered type of an application's license; undefined if it was withdrawn from the catalog. */
export async function typeOf(
  deps: Pick<ApplicationDeps, 'config'>,
  typeCode: string,
): Promise<LicenseType | undefined> {
  return (await deps.config.getLicenseType(typeCode))?.value;
}

export interface AttachmentView {
  sha256: string;
  size: number;
  mediaType: string;
  added: string;
  step: number;
  download: { url: string; expiresAt: string };
}

export interface HistoryView extends ApplicationStep {}

/** An application as its holder or its agency reads it: state, the applied data, attachments to download, the whole history. */
export interface ApplicationView extends Application {
  /** The data as applied — once approved, as decided: what the license is issued with. */
  data: Record<string, unknown>;
  validity?: { from: string; until: string };
  /** The data as the holder applied with it, present only when the agency's decision changed it. */
  applied?: { data: Record<string, unknown>; validity?: { from: string; until: string } };
  attachments: AttachmentView[];
  history: HistoryView[];
}

export async function applicationView(
  deps: Pick<ApplicationDeps, 'cipher' | 'documents'>,
  stored: StoredApplication,
  history: readonly StoredStep[],
): Promise<ApplicationView> {
  const { application } = stored;
  const content = await openApplicationContent(deps.cipher, application.id, stored.sealedContent);
  const applied =
    stored.sealedApplied === undefined
      ? undefined
      : await openApplicationContent(deps.cipher, application.id, stored.sealedApplied);
  const attachments = await Promise.all(
    stored.attachments.map(async (a): Promise<AttachmentView> => {
      const link = await deps.documents.presignDownload(
        // As stored by the document store, which wrote only its canonical types.
        { key: a.key, mediaType: a.mediaType as DocumentMediaType },
        ATTACHMENT_URL_SECONDS,
      );
      return {
        sha256: a.sha256,
        size: a.size,
        mediaType: a.mediaType,
        added: a.added,
        step: a.step,
        download: { url: link.url, expiresAt: link.expiresAt.toISOString() },
      };
    }),
  );
  const steps = await Promise.all(
    // The request digest of a keyed submission is the store's business, not the reader's.
    history.map(async ({ sealedNote, requestDigest: _digest, ...step }): Promise<HistoryView> => {
      if (sealedNote === undefined) return step;
      return { ...step, note: await openNote(deps.cipher, application.id, step.seq, sealedNote) };
    }),
  );
  return {
    ...application,
    data: content.data,
    ...(content.validity ? { validity: content.validity } : {}),
    ...(applied === undefined
      ? {}
      : {
          applied: {
            data: applied.data,
            ...(applied.validity ? { validity: applied.validity } : {}),
          },
        }),
    attachments,
    history: steps,
  };
}
