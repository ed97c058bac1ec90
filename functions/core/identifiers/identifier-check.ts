/** The identifier kinds the platform validates. */
export type IdentifierKind = 'license-id' | 'uscc' | 'citizen-id' | 'organization-code';

/**
 * Outcome of parsing an identifier: its parts when valid, otherwise a human-readable reason
 * and whatever parts could be read before the first failure.
 */
export type IdentifierCheck<P> =
  | { valid: true; parts: P }
  | { valid: false; reason: string; parts?: Partial<P> };

/** Thrown where an identifier must be valid (building one, computing a check character). */
export class InvalidIdentifier extends Error {
  readonly code = 'INVALID_IDENTIFIER';
  readonly kind: IdentifierKind;
  readonly reason: string;

  constructor(kind: IdentifierKind, reason: string) {
    super(`invalid ${kind}: ${reason}`);
    this.name = 'InvalidIdentifier';
    this.kind = kind;
    this.reason = reason;
  }
}

/** A failed check; `P` comes from the caller's return type, so `parts` is checked against it. */
export function invalid<P>(reason: string, parts?: NoInfer<Partial<P>>): IdentifierCheck<P> {
  return parts === undefined ? { valid: false, reason } : { valid: false, reason, parts };
}

/** A character as it appears in a reason: quoted, with invisible characters escaped. */
export function quoteChar(char: string): string {
  return `'${JSON.stringify(char).slice(1, -1).replaceAll("'", "\\'")}'`;
}

/** The first character (by code point) that `allowed` rejects, with its 1-based position. */
export function firstForeignChar(
  value: string,
  allowed: (char: string) => boolean,
): { char: string; position: number } | undefined {
  let position = 0;
  for (const char of value) {
    position += 1;
    if (!allowed(char)) return { char, position };
  }
  return undefined;
}

/** Length in characters (code points), so a reason never counts UTF-16 halves. */
export function charLength(value: string): number {
  return [...value].length;
}
