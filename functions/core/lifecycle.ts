// The lifecycle of an issued license (颁发 → 暂停/挂失 → 恢复 → 吊销/注销, 换发/补发):
// which status changes are legal, what each records, and how a status reads at a given day
// and in the Token Status List. Pure: the caller passes the time and stores the result.
//
//   valid ──suspend──▶ suspended ──reinstate──▶ valid
//   valid | suspended ──revoke──▶ revoked        (final)
//   valid | suspended ──supersede (re-issue)──▶ superseded   (final; version + 1 is valid)
//   expired is never stored: it is read from the validity end and `today`.
import { LONG_TERM, type ValidityPeriod } from './catalog/license-data.ts';
import { type CivilDate, isCivilDate } from './civil-date.ts';
import { refuseIdentityNumbers } from './holders/identity-in-text.ts';
import { buildLicenseId, parseLicenseId } from './identifiers/license-id.ts';

/** Statuses a license record stores. */
export const STORED_STATUSES = ['valid', 'suspended', 'revoked', 'superseded'] as const;
export type StoredStatus = (typeof STORED_STATUSES)[number];

/** Statuses as a verifier sees them: stored, or expired by date. */
export type EffectiveStatus = StoredStatus | 'expired';

export type LifecycleAction = 'suspend' | 'reinstate' | 'revoke' | 'supersede';

/** Who changed the status: an agency (by USCC), a holder (挂失), an operator, or the platform. */
export interface Actor {
  kind: 'agency' | 'holder' | 'operator' | 'system';
  id: string;
}

export interface TransitionInput {
  actor: Actor;
  /** RFC 3339 UTC timestamp of the change; the core has no clock. */
  at: string;
  /** Required to suspend and to revoke; optional to reinstate and to re-issue. */
  reason?: string;
}

/** The record of one status change, to be stored with the license and audited. */
export interface StatusChange {
  action: LifecycleAction;
  from: StoredStatus;
  to: StoredStatus;
  actor: Actor;
  at: string;
  reason?: string;
  /** For a re-issue: the identifier of the version that replaces this one. */
  supersededBy?: string;
  /**
   * The keyed digest of the issuer's request (its Idempotency-Key) that made this change, set by
   * the use case: the same request run again after its idempotency record was lost knows the
   * change for its own, and is answered as it was, not refused as one the license cannot make.
   */
  requestDigest?: string;
}

/**
 * How many status changes a license record keeps: the most recent, oldest first. A license version
 * is one DynamoDB item (400 KB at most), and the largest license of a registrable type leaves
 * about 150 KB of it for what it gathers after issue (catalog/license-size.ts). A change takes
 * about 3 KB at most (a 1,000-character reason, 3 UTF-8 bytes a UTF-16 unit, plus actor and
 * times), so a whole history filled that room after some fifty changes, and from then on every
 * write — a revocation included — was refused. Twenty take at most about 65 KB, well within it,
 * and are more than a record needs; every change stays in the audit log for good (its
 * license.suspended/resumed/revoked/reissued event, with the reason).
 */
export const MAX_KEPT_STATUS_CHANGES = 20;

/** The history a license record keeps after `change`: `history` as read, then `change`, the last {@link MAX_KEPT_STATUS_CHANGES}. */
export function keptHistory(history: readonly StatusChange[], change: StatusChange): StatusChange[] {
  return [...history, change].slice(-MAX_KEPT_STATUS_CHANGES);
}

/** The requested status change is not allowed from the current status. */
export class IllegalTransition extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  readonly from: StoredStatus;
  readonly to: StoredStatus;

  constructor(from: StoredStatus, to: StoredStatus) {
    const allowed = RULES.filter((rule) => rule.from.includes(from)).map((rule) => rule.to);
    super(
      `a ${from} license cannot become ${to}; from ${from} it can become ${allowed.length > 0 ? allowed.join(' or ') : 'nothing: the status is final'}`,
    );
    this.name = 'IllegalTransition';
    this.from = from;
    this.to = to;
  }
}

/** A suspension or revocation came without a reason. */
export class ReasonRequired extends Error {
  readonly code = 'REASON_REQUIRED';
  readonly action: LifecycleAction;

  constructor(action: LifecycleAction) {
    super(`a reason is required to ${action} a license, found none`);
    this.name = 'ReasonRequired';
    this.action = action;
  }
}

/** The actor, time or re-issue parameters of a change are malformed. */
export class InvalidTransitionInput extends Error {
  readonly code = 'INVALID_TRANSITION_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidTransitionInput';
  }
}

/** A license at version 999 cannot be re-issued under the same serial. */
export class VersionExhausted extends Error {
  readonly code = 'VERSION_EXHAUSTED';

  constructor(id: string) {
    super(`license ${id} is at version 999, the last one a 3-digit version allows`);
    this.name = 'VersionExhausted';
  }
}

interface Rule {
  action: LifecycleAction;
  from: readonly StoredStatus[];
  to: StoredStatus;
  reasonRequired: boolean;
}

const RULES: readonly Rule[] = [
  { action: 'suspend', from: ['valid'], to: 'suspended', reasonRequired: true },
  { action: 'reinstate', from: ['suspended'], to: 'valid', reasonRequired: false },
  { action: 'revoke', from: ['valid', 'suspended'], to: 'revoked', reasonRequired: true },
  // Suspended → superseded is legal. The commonest re-issue is 挂失 then 补领: the holder
  // reports the card lost (suspended), the issuer issues the next version. Demanding a
  // reinstatement first would make the lost copy verify as valid in between, and the final
  // status (1, invalid) is stricter than the suspended one (2), so no copy of the old version
  // ever becomes more usable. A suspension meant as a penalty (暂扣) is the issuer's own to
  // keep: the same issuer decides whether to re-issue.
  { action: 'supersede', from: ['valid', 'suspended'], to: 'superseded', reasonRequired: false },
];

/** True when a license in `from` may move to `to`. */
export function canTransition(from: StoredStatus, to: StoredStatus): boolean {
  return RULES.some((rule) => rule.to === to && rule.from.includes(from));
}

/** Revoked and superseded are final: nothing leads out of them. */
export function isFinal(status: StoredStatus): boolean {
  return !RULES.some((rule) => rule.from.includes(status));
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,9})?Z$/;
const ACTOR_KINDS: ReadonlySet<string> = new Set(['agency', 'holder', 'operator', 'system']);
const MAX_REASON_LENGTH = 1000;

/**
 * Checks that `from → to` is legal and that the input is complete, and returns the change to
 * store. Throws IllegalTransition, ReasonRequired, InvalidTransitionInput or IdentityNumberInText.
 */
export function transition(from: StoredStatus, to: StoredStatus, input: TransitionInput): StatusChange {
  const rule = RULES.find((r) => r.to === to && r.from.includes(from));
  if (rule === undefined) throw new IllegalTransition(from, to);
  if (!ACTOR_KINDS.has(input.actor.kind) || input.actor.id.trim() === '') {
    throw new InvalidTransitionInput(
      `actor must have a kind (agency, holder, operator, system) and an id, found ${JSON.stringify(input.actor)}`,
    );
  }
  // Date.parse alone rolls 2025-02-30 over into March; the date part must exist as written.
  if (
    !RFC3339_UTC.test(input.at) ||
    !isCivilDate(input.at.slice(0, 10)) ||
    Number.isNaN(Date.parse(input.at))
  ) {
    throw new InvalidTransitionInput(
      `time must be an RFC 3339 UTC timestamp, found ${JSON.stringify(input.at)}`,
    );
  }
  const reason = input.reason?.trim();
  if (rule.reasonRequired && !reason) throw new ReasonRequired(rule.action);
  if (reason !== undefined && reason.length > MAX_REASON_LENGTH) {
    throw new InvalidTransitionInput(
      `reason must be at most ${MAX_REASON_LENGTH} characters, found ${reason.length}`,
    );
  }
  // The reason is stored with the license and audited for good.
  refuseIdentityNumbers({ reason });
  const change: StatusChange = { action: rule.action, from, to, actor: { ...input.actor }, at: input.at };
  if (reason) change.reason = reason;
  return change;
}

/** 暂停/挂失: valid → suspended; a reason is required. */
export function suspend(from: StoredStatus, input: TransitionInput): StatusChange {
  return transition(from, 'suspended', input);
}

/** 恢复: suspended → valid. */
export function reinstate(from: StoredStatus, input: TransitionInput): StatusChange {
  return transition(from, 'valid', input);
}

/** 吊销/注销: valid or suspended → revoked, for good; a reason is required. */
export function revoke(from: StoredStatus, input: TransitionInput): StatusChange {
  return transition(from, 'revoked', input);
}

export interface Reissue {
  /** The change that supersedes the current version. */
  change: StatusChange;
  /** Identifier of the new version: same type, issuer and serial, version + 1, new check. */
  newId: string;
  /** The new version, 3 digits. */
  newVersion: string;
}

/**
 * 换发/补发: supersedes the current version and names the next one. `issuerUscc` is needed
 * only when the current identifier carries a legacy issuer code, which new identifiers may
 * not use.
 */
export function reissue(
  current: { id: string; status: StoredStatus },
  input: TransitionInput & { issuerUscc?: string },
): Reissue {
  const change = transition(current.status, 'superseded', input);
  const { newId, newVersion } = nextVersion(current.id, input.issuerUscc);
  return { change: { ...change, supersededBy: newId }, newId, newVersion };
}

/** The identifier of the next version of a license. Throws VersionExhausted at 999. */
export function nextVersion(id: string, issuerUscc?: string): { newId: string; newVersion: string } {
  const parsed = parseLicenseId(id);
  if (!parsed.valid) throw new InvalidTransitionInput(`cannot re-issue ${id}: ${parsed.reason}`);
  const { typeCode, issuerCode, serial, version, legacyIssuer } = parsed.parts;
  const next = Number(version) + 1;
  if (next > 999) throw new VersionExhausted(id);
  if (legacyIssuer && issuerUscc === undefined) {
    throw new InvalidTransitionInput(
      `license ${id} names its issuer by the legacy code ${issuerCode}; re-issuing needs the issuer's USCC`,
    );
  }
  if (!legacyIssuer && issuerUscc !== undefined && issuerUscc !== issuerCode) {
    throw new InvalidTransitionInput(`license ${id} was issued by ${issuerCode}, not by ${issuerUscc}`);
  }
  const newVersion = String(next).padStart(3, '0');
  const newId = buildLicenseId({
    typeCode,
    issuerCode: issuerUscc ?? issuerCode,
    serial,
    version: newVersion,
  });
  return { newId, newVersion };
}

/**
 * The status a verifier should see on `today`. Final statuses win over dates; past the last
 * valid day (inclusive) a license is expired even while suspended, since expiry cannot be
 * lifted and a suspension can. A start date in the future is not a status here: the signed
 * license's `nbf` carries it to verifiers, and {@link isInForce} to the platform's own uses.
 */
export function effectiveStatus(
  stored: StoredStatus,
  validity: Pick<ValidityPeriod, 'until'> | undefined,
  today: CivilDate,
): EffectiveStatus {
  if (stored === 'revoked' || stored === 'superseded') return stored;
  if (validity !== undefined && validity.until !== LONG_TERM && validity.until < today) return 'expired';
  return stored;
}

/**
 * Whether the license is in force on `today`: valid, and its first valid day reached. One issued
 * ahead of its term (a renewal that starts when the old term ends) is valid yet not in force:
 * every verifier refuses it on its `nbf` until that day, so the platform's own presentations and
 * retrievals must not hand it out as if it were.
 */
export function isInForce(
  stored: StoredStatus,
  validity: Pick<ValidityPeriod, 'from' | 'until'> | undefined,
  today: CivilDate,
): boolean {
  return (
    effectiveStatus(stored, validity, today) === 'valid' && (validity === undefined || validity.from <= today)
  );
}

/** A valid license whose first valid day is after today: nothing any verifier accepts yet; a 409. */
export class LicenseNotYetValid extends Error {
  readonly code = 'LICENSE_NOT_YET_VALID';
  readonly licenseId: string;
  /** The first valid day (China time): what the caller waits for. */
  readonly validFrom: CivilDate;
  readonly problemMembers: { licenseId: string; validFrom: CivilDate };

  constructor(licenseId: string, validFrom: CivilDate, use: string) {
    super(
      `license ${licenseId} is valid from ${validFrom} (00:00 China time), not yet today: every verifier refuses it until then, so it cannot be ${use} before`,
    );
    this.name = 'LicenseNotYetValid';
    this.licenseId = licenseId;
    this.validFrom = validFrom;
    this.problemMembers = { licenseId, validFrom };
  }
}

/** Token Status List values (2 bits): 0 valid, 1 invalid, 2 suspended. */
export const STATUS_LIST_VALUES = {
  valid: 0,
  revoked: 1,
  superseded: 1,
  suspended: 2,
} as const satisfies Record<StoredStatus, 0 | 1 | 2>;

/**
 * The value to publish in the status list. Expiry is not published — the `exp` of the signed
 * license carries it — so only stored statuses map.
 */
export function statusListValue(status: StoredStatus): 0 | 1 | 2 {
  return STATUS_LIST_VALUES[status];
}
