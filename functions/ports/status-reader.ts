/**
 * Reads one entry of a status list as stored — what an online verification needs, one read
 * and no list decoding. Undefined when no license holds that index of that list.
 */
export interface StatusReader {
  statusOf(listId: string, index: number): Promise<number | undefined>;
}
