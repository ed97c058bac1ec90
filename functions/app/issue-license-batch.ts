import { type IssuedLicenseRef, type IssueLicenseDeps, issueLicenseWithoutCopy } from './issue-license.ts';
import type { IssuerCaller, LicenseRequest } from './license-issuance.ts';

/** The most items one batch may carry. */
export const MAX_BATCH_ITEMS = 100;
/** Items issued at once: enough to hide storage latency, few enough to stay within KMS and DynamoDB budgets. */
export const BATCH_CONCURRENCY = 8;

/** One item's outcome, by its position in the request. */
export type BatchItemOutcome =
  | { index: number; ok: true; license: IssuedLicenseRef }
  | { index: number; ok: false; error: unknown };

export interface BatchOptions {
  /**
   * The issuer's key for the batch (its Idempotency-Key): an item without a serial gets the one
   * that follows from key and item index, so the batch run again issues no item twice.
   */
  requestKey?: string | undefined;
  concurrency?: number | undefined;
}

/**
 * 批量颁发: each item issued as by {@link issueLicenseWithoutCopy}, in its own transaction, so one
 * refused item leaves the others issued; every item's outcome is reported, in request order. The
 * answer names each license and carries no signed copy, so a re-run meeting the licenses of an
 * earlier run (its idempotency record lost) opens no copy and records none as read.
 */
export async function issueLicenseBatch(
  items: ReadonlyArray<{ index: number; request: LicenseRequest }>,
  caller: IssuerCaller,
  deps: IssueLicenseDeps,
  { requestKey, concurrency = BATCH_CONCURRENCY }: BatchOptions = {},
): Promise<BatchItemOutcome[]> {
  if (items.length > MAX_BATCH_ITEMS) {
    throw new RangeError(`expected at most ${MAX_BATCH_ITEMS} items in a batch, found ${items.length}`);
  }
  // One catalog read per type (and per agency) and batch, shared by the items that name it.
  const config: IssueLicenseDeps['config'] = {
    getLicenseType: memoise((code) => deps.config.getLicenseType(code)),
    getAgency: memoise((uscc) => deps.config.getAgency(uscc)),
  };
  const shared = { ...deps, config };
  const outcomes: BatchItemOutcome[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let position = next++; position < items.length; position = next++) {
      const { index, request } = items[position]!;
      const issuanceKey = requestKey === undefined ? undefined : { requestKey, item: index };
      try {
        const license = await issueLicenseWithoutCopy({ ...request, issuanceKey }, caller, shared);
        outcomes[position] = { index, ok: true, license };
      } catch (error) {
        outcomes[position] = { index, ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return outcomes;
}

function memoise<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const reads = new Map<string, Promise<T>>();
  return (key) => {
    const known = reads.get(key);
    if (known !== undefined) return known;
    const reading = read(key);
    reads.set(key, reading);
    return reading;
  };
}
