import { type Agency, hasRole, MAX_SUCCESSION_LINKS } from '#core/catalog/agency.ts';
import { changedMembers } from '#core/catalog/record-changes.ts';
import { CatalogCrossCheckFailed } from '#core/catalog/registration-errors.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { Versioned } from '#ports/page.ts';
import {
  type AdminChangeDeps,
  adminChangeEvent,
  atExpectedVersion,
  type OperatorActor,
} from './admin-change.ts';
import { successionChain } from './succession.ts';

// The operator designates the successor (承继机关) of an agency that was dissolved or merged
// (机构撤并): from then on the successor suspends, reinstates and revokes the licenses the agency
// issued (change-license-status.ts). Each designation, change and removal is written at the
// version the operator read, with its audit event naming the successor before and after.

export interface DesignateSuccessorRequest {
  /** The dissolved or merged agency. */
  uscc: string;
  /** The version the change was made against (the `If-Match` of the request). */
  expectedVersion: number;
  successor: string;
}

export interface DesignateSuccessorDeps extends AdminChangeDeps {
  config: Pick<ConfigStore, 'getAgency' | 'updateAgency' | 'designateSuccessor'>;
}

/** Removing a successor from an agency that has none (404). */
export class NoSuccessorDesignated extends Error {
  readonly code = 'NO_SUCCESSOR_DESIGNATED';
  readonly agency: string;
  constructor(agency: string) {
    super(`agency ${agency} has no successor designated`);
    this.name = 'NoSuccessorDesignated';
    this.agency = agency;
  }
}

/**
 * Designates (or changes) an agency's successor: a registered agency holding the issuer role, not
 * the agency itself, whose own chain of successors neither leads back to the agency (a loop), nor
 * loops by itself, nor has MAX_SUCCESSION_LINKS links already — each refused as
 * CatalogCrossCheckFailed on `successor`. Written only while that chain is still as checked
 * (SuccessionChanged otherwise): another designation in it at the same moment could close a loop.
 */
export async function designateSuccessor(
  { uscc, expectedVersion, successor }: DesignateSuccessorRequest,
  operator: OperatorActor,
  deps: DesignateSuccessorDeps,
): Promise<Versioned<Agency>> {
  const current = atExpectedVersion('agency', uscc, await deps.config.getAgency(uscc), expectedVersion);
  const refuse = (reason: string) =>
    new CatalogCrossCheckFailed('agency', uscc, [{ path: 'successor', reason }]);
  if (successor === uscc) throw refuse('an agency cannot be its own successor');
  const named = await deps.config.getAgency(successor);
  if (named === undefined) throw refuse(`no agency ${successor} is registered`);
  if (!hasRole(named.value, 'issuer')) {
    throw refuse(
      `agency ${successor} does not hold the issuer role: a successor withdraws and reinstates licenses`,
    );
  }
  // Only the successor's side of the chain can be checked: the registry cannot list the agency's
  // predecessors, so a chain may still grow past the bound from its start (resolution says so).
  const succession = await successionChain(deps.config, successor);
  const { chain } = succession;
  if (chain.includes(uscc)) {
    throw refuse(
      `designating ${successor} would close a loop: ${[uscc, ...chain.slice(0, chain.indexOf(uscc) + 1)].join(' → ')}`,
    );
  }
  if (succession.end === 'loop') {
    throw refuse(
      `the successors of ${successor} loop (${succession.repeated} repeats): the operator must remove a designation of that loop first`,
    );
  }
  if (succession.end === 'too-long' || chain.length - 1 >= MAX_SUCCESSION_LINKS) {
    throw refuse(
      `the successors of ${successor} already reach ${chain.at(-1)}: designating it would make more than ${MAX_SUCCESSION_LINKS} successions in a row; designate the last of them`,
    );
  }
  const updated = { ...current.value, successor };
  // The chain as checked: each agency naming the next, the last naming none (end 'last').
  const asChecked = chain.map((agency, i) => ({ uscc: agency, successor: chain[i + 1] }));
  return deps.config.designateSuccessor(
    updated,
    current.version,
    asChecked,
    changeEvent(current, updated, 'agency.successor_designated', operator, deps),
  );
}

/** Removes an agency's successor: its licenses are then again the agency's own alone. */
export async function removeSuccessor(
  { uscc, expectedVersion }: Omit<DesignateSuccessorRequest, 'successor'>,
  operator: OperatorActor,
  deps: DesignateSuccessorDeps,
): Promise<Versioned<Agency>> {
  const current = atExpectedVersion('agency', uscc, await deps.config.getAgency(uscc), expectedVersion);
  if (current.value.successor === undefined) throw new NoSuccessorDesignated(uscc);
  const { successor: _removed, ...kept } = current.value;
  // A removal shortens chains: it cannot close a loop, so it holds on the agency's version alone.
  return deps.config.updateAgency(
    kept,
    current.version,
    changeEvent(current, kept, 'agency.successor_removed', operator, deps),
  );
}

function changeEvent(
  current: Versioned<Agency>,
  updated: Agency,
  action: 'agency.successor_designated' | 'agency.successor_removed',
  operator: OperatorActor,
  deps: DesignateSuccessorDeps,
) {
  return adminChangeEvent(deps, operator, action, {
    details: {
      agency: updated.uscc,
      version: current.version + 1,
      changes: changedMembers(current.value, updated),
    },
  });
}
