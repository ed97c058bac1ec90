import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  type ConsumedCapacity,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { RecordTooLarge, StoreBusy } from '#core/storage-errors.ts';

// One TransactWriteItems with what every storage write here needs around it: consumed capacity
// reported to a meter, cancellation reasons handed back by position so the caller can name the
// failed condition, and retries when the only reason was a conflict with another transaction in
// flight on the same item (DynamoDB cancels rather than queues; a retry then either succeeds or
// meets the winner's committed state and fails its condition, which is the answer we want).
// A transaction the SDK itself retries (its first answer lost to a timeout after it committed)
// does not meet its own writes: the SDK fills in a ClientRequestToken per command and resends it
// unchanged, and DynamoDB answers a repeated token within 10 minutes with the first success.
// Each attempt of the loop below is a new command, hence a new token: it follows a cancellation,
// so nothing of the attempt before was written.

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Receives the capacity units each request consumed (DynamoDB and DynamoDB Local report them). */
export interface CapacityMeter {
  record(kind: 'read' | 'write', units: number, operation: string): void;
}

/** The outcome of one position of a cancelled transaction. */
export interface CancellationReason {
  /** `None`, `ConditionalCheckFailed`, `TransactionConflict`, `ValidationError`, … */
  code: string;
  /** The item as it was, when the action asked for ALL_OLD on a failed condition. */
  item?: Record<string, AttributeValue>;
  /** What DynamoDB said of it, when it said anything (a ValidationError's reason). */
  message?: string;
}

/** A transaction DynamoDB cancelled for a reason the caller must interpret; nothing was written. */
export class TransactionCancelled extends Error {
  readonly code = 'TRANSACTION_CANCELLED';
  readonly reasons: readonly CancellationReason[];
  constructor(reasons: readonly CancellationReason[], cause: unknown) {
    super(`transaction cancelled: ${reasons.map((r, i) => `#${i} ${r.code}`).join(', ')}`, { cause });
    this.name = 'TransactionCancelled';
    this.reasons = reasons;
  }
}

const CONFLICT_ATTEMPTS = 6;

/** Cancellation reasons that say the store was under load, not that a condition failed. */
const BUSY_REASONS: ReadonlySet<string> = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/** Sums consumed capacity into a meter; `kind` says which units the operation spends. */
export function meterCapacity(
  meter: CapacityMeter | undefined,
  kind: 'read' | 'write',
  operation: string,
  consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
): void {
  if (meter === undefined || consumed === undefined) return;
  const units = (Array.isArray(consumed) ? consumed : [consumed]).reduce(
    (sum, c) =>
      sum + (c.CapacityUnits ?? (kind === 'read' ? c.ReadCapacityUnits : c.WriteCapacityUnits) ?? 0),
    0,
  );
  meter.record(kind, units, operation);
}

/** Runs the transaction; throws TransactionCancelled with the reasons by position. */
export async function transactWrite(
  client: DynamoDBDocumentClient,
  items: TransactItem[],
  operation: string,
  meter?: CapacityMeter,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await client.send(
        new TransactWriteCommand({
          TransactItems: items,
          ...(meter === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' }),
        }),
      );
      meterCapacity(meter, 'write', operation, result.ConsumedCapacity);
      return;
    } catch (error) {
      // An item over 400 KB is refused before the transaction runs when a Put carries it
      // (ValidationException), and as the cancellation reason of the action that would grow it
      // past the limit (an Update's ValidationError) — both measured against DynamoDB Local.
      if (isItemTooLarge(error)) throw new RecordTooLarge(operation, error.message, { cause: error });
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons: CancellationReason[] = (error.CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? 'None',
        ...(r.Item === undefined ? {} : { item: r.Item }),
        ...(r.Message === undefined ? {} : { message: r.Message }),
      }));
      const tooLarge = reasons.find((r) => r.code === 'ValidationError' && ITEM_SIZE.test(r.message ?? ''));
      if (tooLarge !== undefined) throw new RecordTooLarge(operation, tooLarge.message!, { cause: error });
      const onlyConflicts =
        reasons.some((r) => r.code === 'TransactionConflict') &&
        reasons.every((r) => r.code === 'None' || r.code === 'TransactionConflict');
      if (onlyConflicts && attempt < CONFLICT_ATTEMPTS) {
        // Jittered exponential backoff, 10–20 ms doubling: conflicting writers must not retry in step.
        await sleep(10 * 2 ** (attempt - 1) * (1 + Math.random()));
        continue;
      }
      // Refused for load alone (throttled, or still contended after the retries above): nothing
      // was written and no condition decided anything, so it is the store being busy — a 503 —
      // and not a cancellation for a caller to translate. The SDK's own retries do not see these:
      // DynamoDB reports them inside a TransactionCanceledException, an HTTP 400.
      const loaded = reasons.filter((r) => r.code !== 'None').map((r) => r.code);
      if (loaded.length > 0 && loaded.every((code) => BUSY_REASONS.has(code))) {
        throw new StoreBusy(operation, [...new Set(loaded)]);
      }
      throw new TransactionCancelled(reasons, error);
    }
  }
}

/** DynamoDB's words for an item over its size limit: "Item size has exceeded…", "Item size to update has exceeded…". */
const ITEM_SIZE = /item size\b.*\bexceeded/i;

function isItemTooLarge(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ValidationException' && ITEM_SIZE.test(error.message);
}

/** A string attribute of a raw (unmarshalled-by-nobody) item from a cancellation reason. */
export function rawString(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): string | undefined {
  const value = item?.[name];
  return value !== undefined && 'S' in value ? value.S : undefined;
}

/** A number attribute of a raw item from a cancellation reason. */
export function rawNumber(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): number | undefined {
  const value = item?.[name];
  return value !== undefined && 'N' in value && value.N !== undefined ? Number(value.N) : undefined;
}
