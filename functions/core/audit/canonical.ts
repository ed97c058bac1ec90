import canonicalize from 'canonicalize';
import { type AuditEvent, parseAuditEvent } from './event.ts';

const encoder = new TextEncoder();

export class NotCanonicalizable extends Error {
  readonly code = 'AUDIT_NOT_CANONICALIZABLE';
  constructor(reason: string) {
    super(`expected a JSON value RFC 8785 can canonicalize: ${reason}`);
    this.name = 'NotCanonicalizable';
  }
}

/**
 * RFC 8785 (JCS) bytes of any JSON value: sorted keys, ECMAScript number form, UTF-8. The
 * verifier hashes stored events with this as they are, valid or not, so a schema change can
 * never make an untouched old event look altered.
 */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new NotCanonicalizable(error instanceof Error ? error.message : String(error));
  }
  if (text === undefined) throw new NotCanonicalizable(`found ${typeof value}`);
  return encoder.encode(text);
}

/** The bytes an event is sealed as: validated, then canonicalized. */
export function canonicalEventBytes(event: AuditEvent): Uint8Array {
  return canonicalJsonBytes(parseAuditEvent(event));
}
