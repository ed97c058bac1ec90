import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '#core/audit/event.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { licenseKeyOf } from '#core/license-key.ts';
import type { ApplicationAttachmentReader, HeldAttachments } from '#ports/application-store.ts';
import type { AuditLogWriter } from '#ports/audit-log-writer.ts';
import type { DocumentRecord, DocumentSweepStore, ListedDocument } from '#ports/document-store.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import { applicationOfDocumentOwner, licenseOfDocumentOwner } from './document-owner.ts';
import { asLicenseContent } from './license-content.ts';

// The sweep of documents nothing holds. A layout document is written before the license write
// that binds it (issue, attach, a completed upload), an application's attachment before the step
// that names it; when that write is refused the use case removes the bytes itself, but after a
// write that failed unclearly (a timeout: it may still land) it must keep them, and a run killed
// part way removes nothing. This sweep finds those bytes: it takes one day's keys (the key carries
// the UTC day it was made), long after every request of that day has ended, asks the owner named
// in each object's metadata — a license: whether any of its versions holds that key; an
// application: whether it lists that attachment — and removes the bytes nothing holds, each
// removal audited before it happens.
//
// Any doubt keeps the bytes: no owner recorded (a document written before owners were), an owner
// naming neither a license nor an application, a record that cannot be read. A day is swept whole
// or in part; a part left (the run's time ran out) is taken up by the next run.

/** The system actor of the sweep's audit events. */
export const DOCUMENT_SWEEPER = { kind: 'system', id: 'document-sweeper' } as const;

export const DOCUMENT_DISCARDED_ACTION = 'license.document_discarded';
export const ATTACHMENT_DISCARDED_ACTION = 'application.attachment_discarded';

/**
 * How long after the end of its day a document's key is first swept: far beyond any request that
 * writes one (Lambda runs at most 15 minutes), so no write that may still bind it is in flight.
 */
export const SWEEP_GRACE_HOURS = 48;

/** How many documents are decided at once (each a HeadObject and a license Query or application read). */
const CONCURRENCY = 8;

const DAY_MS = 24 * 3_600_000;

export interface SweepDeps {
  documents: DocumentSweepStore;
  licenses: Pick<LicenseRepository, 'listVersions' | 'listVersionsInEveryShard'>;
  applications: ApplicationAttachmentReader;
  audit: AuditLogWriter;
  now: () => Date;
  newEventId?: () => string;
  /** Asked between pages: true when the run must stop (its time is nearly up); the day is then left part swept. */
  timeIsUp?: () => boolean;
}

/** What a sweep did with one day's documents. */
export interface DaySweep {
  /** `yyyy-mm-dd`, UTC. */
  day: string;
  /** Documents listed. */
  listed: number;
  /** Held by a version of their license, or by their application: kept. */
  held: number;
  /** Held by no version or not by their application (or that does not exist): audited, then removed. */
  discarded: number;
  /** Kept: no owner recorded, or one that names neither a license nor an application. */
  unowned: number;
  /** Kept: their license or application could not be read (an error, content of an unknown shape). */
  undecided: number;
  /** Gone between listing and deciding (removed meanwhile). */
  gone: number;
  /** Audited, but their removal failed: the next sweep decides them again. */
  failed: number;
  /** False when the run's time ran out before the day's last page. */
  complete: boolean;
}

/** A day not yet old enough to sweep. */
export class SweepDayTooRecent extends Error {
  readonly code = 'SWEEP_DAY_TOO_RECENT';
  constructor(day: string, sweepableFrom: Date) {
    super(
      `documents of ${day} may be swept from ${sweepableFrom.toISOString()} (${SWEEP_GRACE_HOURS} h after the day's end), not before`,
    );
    this.name = 'SweepDayTooRecent';
  }
}

/**
 * Sweeps the last `days` days old enough to sweep, oldest first: a run that did not happen (or
 * did not finish) is made up by the next, and a day swept again costs only a look at what stayed.
 */
export async function sweepUnheldDocuments(deps: SweepDeps, days = 3): Promise<DaySweep[]> {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`expected 1 or more days, found ${days}`);
  const newest = newestSweepableDay(deps.now());
  const sweeps: DaySweep[] = [];
  for (let back = days - 1; back >= 0; back -= 1) {
    if (deps.timeIsUp?.()) break;
    sweeps.push(await sweepDocumentsOfDay(addDays(newest, -back), deps));
  }
  return sweeps;
}

/** The newest day whose grace has passed at `now`. */
export function newestSweepableDay(now: Date): string {
  const lastEnd = now.getTime() - SWEEP_GRACE_HOURS * 3_600_000;
  return new Date(Math.floor(lastEnd / DAY_MS) * DAY_MS - DAY_MS).toISOString().slice(0, 10);
}

/** Sweeps the documents whose key was made on `day` (UTC); refused while the day is within its grace. */
export async function sweepDocumentsOfDay(day: string, deps: SweepDeps): Promise<DaySweep> {
  const start = Date.parse(`${day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !Number.isFinite(start)) {
    throw new RangeError(`expected a day as yyyy-mm-dd, found '${day}'`);
  }
  const sweepableFrom = new Date(start + DAY_MS + SWEEP_GRACE_HOURS * 3_600_000);
  if (deps.now().getTime() < sweepableFrom.getTime()) throw new SweepDayTooRecent(day, sweepableFrom);
  const sweep: DaySweep = {
    day,
    listed: 0,
    held: 0,
    discarded: 0,
    unowned: 0,
    undecided: 0,
    gone: 0,
    failed: 0,
    complete: false,
  };
  let cursor: string | undefined;
  do {
    if (deps.timeIsUp?.()) return sweep;
    const page = await deps.documents.listWrittenOn(day, cursor === undefined ? {} : { cursor });
    sweep.listed += page.items.length;
    await eachAtMost(CONCURRENCY, page.items, async (document) => {
      sweep[await decide(document, day, deps)] += 1;
    });
    cursor = page.cursor;
  } while (cursor !== undefined);
  sweep.complete = true;
  return sweep;
}

type Outcome = 'held' | 'discarded' | 'unowned' | 'undecided' | 'gone' | 'failed';

async function decide(listed: ListedDocument, day: string, deps: SweepDeps): Promise<Outcome> {
  let record: DocumentRecord | undefined;
  try {
    record = await deps.documents.describe(listed.key);
  } catch {
    return 'undecided';
  }
  if (record === undefined) return 'gone';
  if (record.owner === undefined) return 'unowned';
  const licenseId = licenseOfDocumentOwner(record.owner);
  if (licenseId !== undefined) return decideLicenseDocument(licenseId, listed, record, day, deps);
  const applicationId = applicationOfDocumentOwner(record.owner);
  if (applicationId !== undefined) return decideAttachment(applicationId, listed, record, day, deps);
  return 'unowned';
}

async function decideLicenseDocument(
  licenseId: string,
  listed: ListedDocument,
  record: DocumentRecord,
  day: string,
  deps: SweepDeps,
): Promise<Outcome> {
  const parsed = parseLicenseId(licenseId);
  if (!parsed.valid) return 'unowned';
  let versions: LicenseRecord[];
  try {
    versions = await deps.licenses.listVersions(licenseKeyOf(licenseId));
    // None where the shard map routes the key: before the bytes go as the license's that does not
    // exist, every shard of its domain is asked, so a shard count that differs between the writers
    // and this sweeper (a misconfiguration, a re-shard) cannot pass a license off as missing.
    if (versions.length === 0)
      versions = await deps.licenses.listVersionsInEveryShard(licenseKeyOf(licenseId));
  } catch {
    return 'undecided';
  }
  const held = heldBy(versions, listed.key);
  if (held === undefined) return 'undecided';
  if (held) return 'held';
  return discard(listed.key, deps, {
    action: DOCUMENT_DISCARDED_ACTION,
    subject: { licenseId, typeCode: parsed.parts.typeCode },
    details: {
      documentKey: listed.key,
      writtenOn: day,
      reason: versions.length === 0 ? 'license-not-found' : 'held-by-no-version',
      ...recorded(record),
    },
  });
}

// An attachment is stored before the step that names it, and the application item lists every
// attachment of every step: one consistent read of that list decides it.
async function decideAttachment(
  applicationId: string,
  listed: ListedDocument,
  record: DocumentRecord,
  day: string,
  deps: SweepDeps,
): Promise<Outcome> {
  let held: HeldAttachments | undefined;
  try {
    held = await deps.applications.heldAttachments(applicationId);
  } catch {
    return 'undecided';
  }
  if (held?.keys.includes(listed.key)) return 'held';
  return discard(listed.key, deps, {
    action: ATTACHMENT_DISCARDED_ACTION,
    ...(held === undefined ? {} : { subject: { typeCode: held.typeCode } }),
    details: {
      applicationId,
      documentKey: listed.key,
      writtenOn: day,
      reason: held === undefined ? 'application-not-found' : 'held-by-no-step',
      ...recorded(record),
    },
  });
}

function recorded(record: DocumentRecord): { size: number; sha256?: string } {
  return { size: record.size, ...(record.sha256 === undefined ? {} : { sha256: record.sha256 }) };
}

// Recorded before the bytes go, so that no removal is without its record; written again (with a
// new id) should the removal fail and a later sweep decide the same.
async function discard(
  key: string,
  deps: SweepDeps,
  event: Pick<AuditEvent, 'action' | 'subject' | 'details'>,
): Promise<Outcome> {
  try {
    await deps.audit.record({
      id: deps.newEventId?.() ?? `document-discarded-${randomUUID()}`,
      time: deps.now().toISOString(),
      actor: DOCUMENT_SWEEPER,
      outcome: 'success',
      ...event,
    });
  } catch {
    return 'undecided';
  }
  try {
    await deps.documents.delete(key);
  } catch {
    return 'failed';
  }
  return 'discarded';
}

/**
 * Whether any version of the license holds the key: a re-issue carries its document on to the
 * next version, and the version the document was written for keeps it too. Undefined when a
 * version's content is of a shape this code does not know: then nothing can be concluded.
 */
function heldBy(versions: readonly LicenseRecord[], key: string): boolean | undefined {
  let held = false;
  for (const version of versions) {
    try {
      if (asLicenseContent(version.content).document?.key === key) held = true;
    } catch {
      return undefined;
    }
  }
  return held;
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Runs `work` over `items` with at most `limit` at once (a pool of workers over one queue). */
async function eachAtMost<T>(limit: number, items: readonly T[], work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
