// Succession of agencies (机构撤并 → 承继机关): when an issuing agency is dissolved or merged, the
// operator designates its successor in the agency record, and the successor takes over the
// withdrawing and reinstating of the licenses it issued. Designations may chain (A → B, then
// B → C): the functions of A are then C's, the end of the chain, and no longer B's.
import { MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { IssuerCaller } from './license-issuance.ts';

/**
 * How the designated successors from one agency end: at the `last` agency (the one acting for all
 * before it), in a `loop` (an agency repeats: `repeated` is its first one in `chain`), or `too-long`
 * (still going after MAX_SUCCESSION_LINKS links).
 */
export type Succession =
  | { chain: string[]; end: 'last' }
  | { chain: string[]; end: 'loop'; repeated: string }
  | { chain: string[]; end: 'too-long' };

/**
 * A chain of successors that ends in no agency (409): a loop, which no designation closes (each
 * refuses one it sees, and is written only while the chain it checked is unchanged), so one in
 * records written some other way; or a chain longer than MAX_SUCCESSION_LINKS. No agency in it
 * acts as successor until the operator fixes the designations.
 */
export class SuccessionUnresolved extends Error {
  readonly code = 'SUCCESSION_UNRESOLVED';
  readonly agency: string;
  constructor(agency: string, succession: Exclude<Succession, { end: 'last' }>) {
    const { chain } = succession;
    super(
      succession.end === 'loop'
        ? `the successors of ${agency} loop: ${[...chain.slice(chain.indexOf(succession.repeated)), succession.repeated].join(' → ')}: the operator must remove a designation of the loop before any of them acts as successor`
        : `the successors of ${agency} do not end within ${MAX_SUCCESSION_LINKS} designations (${chain[0]} → … → ${chain.at(-1)} → …): the chain is too long; the operator can designate its last agency directly`,
    );
    this.name = 'SuccessionUnresolved';
    this.agency = agency;
  }
}

/**
 * The agencies from `start` along the designated successors, `[start, successor, its successor,
 * …]` (each once), and how they end.
 */
export async function successionChain(
  config: Pick<ConfigStore, 'getAgency'>,
  start: string,
): Promise<Succession> {
  const chain = [start];
  let next = (await config.getAgency(start))?.value.successor;
  while (next !== undefined) {
    if (chain.includes(next)) return { chain, end: 'loop', repeated: next };
    if (chain.length > MAX_SUCCESSION_LINKS) return { chain, end: 'too-long' };
    chain.push(next);
    next = (await config.getAgency(next))?.value.successor;
  }
  return { chain, end: 'last' };
}

/**
 * The issuer (USCC) of the license, when the caller did not issue it but now holds its issuer's
 * functions: the caller ends the issuer's chain of successors. Undefined for the caller's own
 * licenses, a malformed identifier and every other agency — the issuer's own checks then decide
 * (NotTheIssuer). A chain that does not end is SuccessionUnresolved, but only to an agency in it:
 * anyone else learns nothing of the issuer's successors.
 */
export async function predecessorServed(
  config: Pick<ConfigStore, 'getAgency'>,
  caller: IssuerCaller,
  licenseId: string,
): Promise<string | undefined> {
  const parsed = parseLicenseId(licenseId);
  if (!parsed.valid || parsed.parts.issuerCode === caller.agency) return undefined;
  const issuer = parsed.parts.issuerCode;
  const succession = await successionChain(config, issuer);
  if (!succession.chain.slice(1).includes(caller.agency)) return undefined;
  if (succession.end !== 'last') throw new SuccessionUnresolved(issuer, succession);
  return succession.chain.at(-1) === caller.agency ? issuer : undefined;
}
