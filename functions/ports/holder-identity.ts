// Who a holder account is: the identity (holder code type + holder code) that identity proofing
// bound it to. The holder routes ask only this port; how proofing records, device keys and
// bindings are stored is the holder store's business (functions/ports/holder-store.ts).

export type AssuranceLevel = 'low' | 'substantial' | 'high';

export interface HolderBinding {
  /** The holder account (the `sub` of its access tokens). */
  account: string;
  /** 持证主体代码类型: `111` citizen identity number, `001` USCC, … */
  codeType: string;
  /** The holder code itself (e.g. the citizen identity number); never logged. */
  code: string;
  /** BlindIndexer.tokenFor(codeType, code): the key of the holder index and of grants by holder. */
  holderIndex: string;
  assurance: AssuranceLevel;
  /** The proofing record that made the binding. */
  proofingId: string;
  /** RFC 3339 UTC. */
  boundAt: string;
}

export interface HolderIdentityReader {
  /** The account's current binding; undefined while the account is unproofed. */
  bindingOf(account: string): Promise<HolderBinding | undefined>;
}
