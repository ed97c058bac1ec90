// A stored item that does not read back as the record it should be: damaged by hand, written
// by an incompatible version, or tampered with. Stores refuse it with this error, naming the
// item and every problem, instead of handing half a record to the caller.

export interface StoredItemIssue {
  /** Dotted path inside the record, empty for the record as a whole. */
  path: string;
  message: string;
}

export class StoredItemInvalid extends Error {
  readonly code = 'STORED_ITEM_INVALID';
  readonly table: string;
  /** The item's key, as `pk` or `pk / sk`. */
  readonly key: string;
  readonly issues: readonly StoredItemIssue[];
  constructor(table: string, key: string, issues: readonly StoredItemIssue[]) {
    super(
      `stored item ${key} in ${table} is not a valid record: ${issues
        .map((issue) => `${issue.path || '(root)'}: ${issue.message}`)
        .join('; ')}`,
    );
    this.name = 'StoredItemInvalid';
    this.table = table;
    this.key = key;
    this.issues = issues;
  }
}
