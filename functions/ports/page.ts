// Paged reads, shared by every store that lists: the caller asks for at most `limit` items
// and gets back an opaque cursor to continue from.

export interface PageRequest {
  /** Most items to return; each store documents its default and maximum. */
  limit?: number;
  /** The `cursor` of the previous page; absent for the first page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items may follow; absent on the last page. */
  cursor?: string;
}

/** A cursor this listing did not hand out (tampered, truncated, or from another listing). */
export class InvalidCursor extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor(reason: string) {
    super(`invalid page cursor: ${reason}`);
    this.name = 'InvalidCursor';
  }
}

/** A cursor carrying `value` as base64url JSON, the form every listing's cursor takes. */
export function encodeJsonCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The value a base64url JSON cursor carries; its shape is the listing's to check. */
export function decodeJsonCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('it does not decode to JSON');
  }
}

/** A record with the version its optimistic lock expects on the next update. */
export interface Versioned<T> {
  value: T;
  /** 1 after creation, incremented by every update. */
  version: number;
}
