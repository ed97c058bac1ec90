// Succession of agencies (机构撤并 → 承继机关): when an issuing agency is dissolved or merged, the
// operator designates its successor in the agency record, and the successor takes over the
// withdrawing and reinstating of the licenses it issued. Designations may chain (A → B, then
// B → C): the functions of A are then C's, the end of the chain, and no longer B's.
import { MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { IssuerCaller } from './license-issuance.ts';

/**
 * A chain of successors that does not end within MAX_SUCCESSION_LINKS (409): two designations made
 * at the same moment closed a loop, which the designation's own check cannot see. No agency acts
 * as successor until the operator removes one of them.
 */
export class SuccessionUnresolved extends Error {
  readonly code = 'SUCCESSION_UNRESOLVED';
  readonly agency: string;
  constructor(agency: string, chain: readonly string[]) {
    super(
      `the successors of ${agency} do not end within ${MAX_SUCCESSION_LINKS} designations (${chain.join(' → ')} → …): the operator must remove a designation of the loop before any of them acts as successor`,
    );
    this.name = 'SuccessionUnresolved';
    this.agency = agency;
  }
}

/**
 * The agencies from `start` along the designated successors: `[start, successor, its successor,
 * …]`, at most MAX_SUCCESSION_LINKS links. `ends` is false when the last one has a successor still
 * (a chain too long, or a loop).
 */
export async function successionChain(
  config: Pick<ConfigStore, 'getAgency'>,
  start: string,
): Promise<{ chain: string[]; ends: boolean }> {
  const chain = [start];
  let next = (await config.getAgency(start))?.value.successor;
  while (next !== undefined && chain.length <= MAX_SUCCESSION_LINKS) {
    chain.push(next);
    next = (await config.getAgency(next))?.value.successor;
  }
  return { chain, ends: next === undefined };
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
  const { chain, ends } = await successionChain(config, issuer);
  if (!chain.slice(1).includes(caller.agency)) return undefined;
  if (!ends) throw new SuccessionUnresolved(issuer, chain);
  return chain.at(-1) === caller.agency ? issuer : undefined;
}
