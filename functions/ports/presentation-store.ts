// Short-lived holder presentations behind a reference (出示码): what the holder chose to show,
// sealed, until a verifier resolves it or it expires. Creating one and counting a resolution
// each carry their audit event in the same write.
import type { AuditEvent } from '#core/audit/event.ts';

export interface StoredPresentation {
  /** presentationRefDigest(reference): the reference itself is never stored. */
  id: string;
  /** The holder account that made it. */
  account: string;
  licenseId: string;
  licenseVersion: string;
  typeCode: string;
  /** The disclosed fields, in the credential's order. */
  fields: string[];
  audience?: string;
  nonce?: string;
  /** The compact SD-JWT presentation, sealed with the field cipher for this presentation. */
  sealed: Uint8Array;
  /** RFC 3339 UTC with milliseconds. */
  created: string;
  /** RFC 3339 UTC with milliseconds; the store forgets the item some time after. */
  expiresAt: string;
  maxResolutions: number;
  resolutions: number;
}

export type PresentationUnavailableReason = 'not-found' | 'expired' | 'used-up';

/** A reference that resolves to nothing now: unknown (or forgotten), expired, or used up. */
export class PresentationUnavailable extends Error {
  readonly code: `PRESENTATION_${'NOT_FOUND' | 'EXPIRED' | 'USED_UP'}`;
  readonly reason: PresentationUnavailableReason;
  constructor(reason: PresentationUnavailableReason) {
    const detail = {
      'not-found': 'no presentation has this reference',
      expired: 'the presentation reference has expired; ask the holder for a new one',
      'used-up': 'the presentation reference has been used as often as the holder allowed',
    }[reason];
    super(detail);
    this.name = 'PresentationUnavailable';
    this.reason = reason;
    this.code = `PRESENTATION_${reason === 'not-found' ? 'NOT_FOUND' : reason === 'expired' ? 'EXPIRED' : 'USED_UP'}`;
  }
}

export interface PresentationStore {
  /** Stores a new presentation (no resolutions yet) with its audit event: both or neither. */
  create(presentation: Omit<StoredPresentation, 'resolutions'>, auditEvent: AuditEvent): Promise<void>;
  /** The presentation, read consistently; undefined when none is stored (or it was forgotten). */
  get(id: string): Promise<StoredPresentation | undefined>;
  /**
   * Counts one resolution with its audit event, on condition that the presentation exists, has
   * not expired at `now` and is not used up: PresentationUnavailable otherwise, writing neither.
   * `resolution` is the count this one makes (the count read, plus one), as its event says: when
   * another resolution was counted since the read, ConcurrentModification, writing neither, so no
   * two events name the same resolution.
   */
  recordResolution(id: string, now: Date, resolution: number, auditEvent: AuditEvent): Promise<void>;
}
