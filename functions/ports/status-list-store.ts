import type { StatusList } from '#core/status-list.ts';
import type { StatusSlot } from './license-repository.ts';

// Status-list slots: drawing an unused index for a license about to be issued, and reading a
// whole list back to publish it, at a cost that follows its entries not valid, not its size. A
// drawn slot is only reserved in memory; the license's issue write claims it for good (and
// refuses an index claimed before), so a crash between the two loses an index, never hands one
// out twice.

export interface StatusListInfo {
  listId: string;
  issuerCode: string;
  typeCode: string;
  /** Which of the issuer's and type's parallel lists (list shard) this is. */
  shard: number;
  /** A full list is followed by the next generation of the same shard. */
  generation: number;
  /** Entries in the list (its published length). */
  size: number;
}

export interface LoadedStatusList {
  info: StatusListInfo;
  /** The list as it is to be published: every claimed index at its stored value, the rest 0. */
  list: StatusList;
  /**
   * Indices handed to writers so far (blocks claimed × block size, at most `size`): an upper
   * bound of the licenses issued on the list, since a writer that stops leaves the rest of its
   * block unused. Not an exact count, which every issue would have to write to one item per list.
   */
  allocated: number;
}

export interface StatusListStore {
  /**
   * Draws an index never handed out before, on one of the issuer's lists for the type (the list
   * shard follows from `licenseKey`, so every version of a license uses the same list shard).
   */
  allocateSlot(issuerCode: string, typeCode: string, licenseKey: string): Promise<StatusSlot>;

  /** The stored list, read consistently. Fails with StatusListNotFound. */
  loadStatusList(listId: string): Promise<LoadedStatusList>;
}

/**
 * Protects a list's allocation key (the secret of its index permutation) at rest. On AWS this
 * must be an adapter over the field cipher (envelope encryption under KMS with the list id as
 * encryption context); locally and in tests the unprotected one may do.
 */
export interface SecretSealer {
  seal(secret: Uint8Array, context: Readonly<Record<string, string>>): Promise<string>;
  open(sealed: string, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}
