import { z } from 'zod';

// One audit event: who did what to which license or grant, on what basis, with what outcome.
// Events are sealed in batches (checkpoint.ts), so their canonical bytes must never change
// meaning: the schema is strict (unknown fields are refused, not silently dropped).

/** RFC 3339 UTC with exactly millisecond precision (Date#toISOString): fixed width, so it sorts as text. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const auditTime = z
  .string()
  .regex(INSTANT, {
    message: 'expected an RFC 3339 UTC time with milliseconds, like 2025-03-01T08:00:00.000Z',
    abort: true,
  })
  .refine((value) => {
    const ms = Date.parse(value);
    return Number.isFinite(ms) && new Date(ms).toISOString() === value;
  }, 'expected a calendar instant that exists');

export const auditEventId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected 1–128 characters of A–Z a–z 0–9 . _ : -');

const reference = z.string().min(1).max(256);

export const AUDIT_ACTOR_KINDS = ['agency', 'holder', 'operator', 'system'] as const;
export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;

export const auditEventSchema = z.strictObject({
  id: auditEventId,
  time: auditTime,
  actor: z.strictObject({
    kind: z.enum(AUDIT_ACTOR_KINDS),
    /** Agency USCC, platform holder id or operator account — never a raw citizen ID number. */
    id: reference,
    name: z.string().max(256).optional(),
  }),
  action: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
      'expected a dotted lower-case action like license.issued',
    ),
  subject: z
    .strictObject({
      licenseId: reference.optional(),
      licenseVersion: z
        .string()
        .regex(/^\d{3}$/, 'expected a 3-digit version like 001')
        .optional(),
      typeCode: reference.optional(),
      grantId: reference.optional(),
    })
    .optional(),
  /** Why the action was allowed: purpose of use, legal basis, case (办件) number, service item. */
  basis: z
    .strictObject({
      purpose: z.string().min(1).max(1000).optional(),
      legalBasis: z.string().min(1).max(1000).optional(),
      caseNumber: reference.optional(),
      serviceItemCode: reference.optional(),
    })
    .optional(),
  outcome: z.enum(AUDIT_OUTCOMES),
  details: z.record(z.string(), z.json()).optional(),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;

/** A value that is not a well-formed audit event; the message lists each problem by path. */
export class AuditEventInvalid extends Error {
  readonly code = 'AUDIT_EVENT_INVALID';
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super(`invalid audit event: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'AuditEventInvalid';
    this.issues = issues;
  }
}

export function parseAuditEvent(value: unknown): AuditEvent {
  const result = auditEventSchema.safeParse(value);
  if (!result.success) {
    throw new AuditEventInvalid(
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** Seal order: by time, then id. Times are fixed-width UTC, so text order is time order. */
export function compareAuditEvents(
  a: Pick<AuditEvent, 'time' | 'id'>,
  b: Pick<AuditEvent, 'time' | 'id'>,
): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/**
 * Text a caller sent (a User-Agent, say), cut to `max` UTF-16 units for an event. A cut may split
 * a surrogate pair, and canonical JSON (RFC 8785) refuses a lone surrogate: the half left is
 * replaced by U+FFFD.
 */
export function auditableText(value: string, max = 256): string {
  return value.slice(0, max).toWellFormed();
}
