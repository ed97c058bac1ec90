// 用证授权: a holder lets one relying agency use one license of theirs, or any of their licenses
// of a type, for a purpose, for chosen fields, until a time, for a number of uses. Until the
// holder API exists an operator records the holder's decision here; the holder API will call
// the same use case with the holder as the actor. The authorisation code is returned once.
import type { AuditEvent } from '#core/audit/event.ts';
import { hasRole } from '#core/catalog/agency.ts';
import { fieldOf } from '#core/catalog/license-type.ts';
import type { Grant, GrantScope } from '#core/grants/grant.ts';
import { refuseIdentityNumbers } from '#core/holders/identity-in-text.ts';
import { LicenseNotFound } from '#core/storage-errors.ts';
import type { BlindIndexer } from '#ports/blind-indexer.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { GrantStore } from '#ports/grant-store.ts';
import type { LicenseRecord, LicenseRepository } from '#ports/license-repository.ts';
import type { Versioned } from '#ports/page.ts';
import { findLicense, parseLicenseReference } from './license-reference.ts';
import { GrantRequestInvalid, LicenseTypeNotFound } from './retrieval-errors.ts';

export interface HolderIdentity {
  /** 持证主体代码类型: `111` citizen identity number, `001` USCC, … */
  codeType: string;
  code: string;
}

export interface CreateGrantRequest {
  /** Who records the grant: the operator agency (USCC) and the key it signed with. */
  actor: { kind: 'operator' | 'holder'; id: string; keyId?: string };
  /**
   * One license (full identifier or license key), or one the caller has read and checked already
   * (used as read, not read again), or a type of the holder's licenses.
   */
  scope:
    | { licenseId: string }
    | { license: Pick<LicenseRecord, 'licenseKey' | 'typeCode' | 'holderIndex'> }
    | { typeCode: string; holder: HolderIdentity };
  relyingAgency: string;
  purpose: string;
  fields: readonly string[];
  /** RFC 3339; stored as UTC with milliseconds. */
  expiresAt: string;
  maxUses: number;
}

export interface CreateGrantDeps {
  config: Pick<ConfigStore, 'getAgency' | 'getLicenseType'>;
  licenses: Pick<LicenseRepository, 'get' | 'getCurrent'>;
  grants: Pick<GrantStore, 'create'>;
  blindIndexer: BlindIndexer;
  now: () => Date;
  newEventId: () => string;
}

export interface CreatedGrantResult {
  grant: Versioned<Grant>;
  /** The authorisation code: handed to the holder now, never retrievable again. */
  code: string;
}

/**
 * Checks the terms against the catalog (fields disclosable, relying agency registered with the
 * relying role, expiry in the future) and stores the grant with its audit event in one write.
 * The purpose may not name an identity number (IdentityNumberInText): it is audited, and each
 * retrieval on the grant states and audits it again.
 */
export async function createGrant(
  request: CreateGrantRequest,
  deps: CreateGrantDeps,
): Promise<CreatedGrantResult> {
  refuseIdentityNumbers({ purpose: request.purpose });
  const now = deps.now();
  const { scope, typeCode, holderIndex } = await resolveScope(request.scope, deps);
  const type = (await deps.config.getLicenseType(typeCode))?.value;
  if (type === undefined) throw new LicenseTypeNotFound(typeCode);

  const issues: { path: string; message: string }[] = [];
  request.fields.forEach((name, i) => {
    const field = fieldOf(type, name);
    if (field === undefined) {
      issues.push({ path: `fields.${i}`, message: `type ${typeCode} has no field ${name}` });
    } else if (!field.disclosable) {
      issues.push({
        path: `fields.${i}`,
        message: `field ${name} of type ${typeCode} is not disclosable on its own`,
      });
    }
  });
  if (new Set(request.fields).size !== request.fields.length) {
    issues.push({ path: 'fields', message: 'fields must be distinct' });
  }
  const relying = (await deps.config.getAgency(request.relyingAgency))?.value;
  if (relying === undefined) {
    issues.push({ path: 'relyingAgency', message: `no agency ${request.relyingAgency} is registered` });
  } else if (!hasRole(relying, 'relying')) {
    issues.push({
      path: 'relyingAgency',
      message: `agency ${relying.uscc} has roles ${relying.roles.join(', ')}, not relying`,
    });
  }
  const expiresMs = Date.parse(request.expiresAt);
  if (!Number.isFinite(expiresMs) || expiresMs <= now.getTime()) {
    issues.push({
      path: 'expiresAt',
      message: `expected a time after now (${now.toISOString()}), found ${request.expiresAt}`,
    });
  }
  if (issues.length > 0) throw new GrantRequestInvalid(issues);

  const auditEventOf = (grant: Grant): AuditEvent => ({
    id: deps.newEventId(),
    time: now.toISOString(),
    actor: { kind: request.actor.kind, id: request.actor.id },
    action: 'grant.created',
    subject: {
      grantId: grant.id,
      typeCode,
      ...(grant.scope.kind === 'license' ? { licenseId: grant.scope.licenseId } : {}),
    },
    basis: { purpose: grant.purpose },
    outcome: 'success',
    details: {
      relyingAgency: grant.relyingAgency,
      scope: grant.scope.kind,
      fields: [...grant.fields],
      expiresAt: grant.expiresAt,
      maxUses: grant.maxUses,
      ...(request.actor.keyId === undefined ? {} : { keyId: request.actor.keyId }),
    },
  });
  return deps.grants.create(
    {
      scope,
      relyingAgency: request.relyingAgency,
      holderIndex,
      purpose: request.purpose,
      fields: [...request.fields],
      expiresAt: new Date(expiresMs).toISOString(),
      maxUses: request.maxUses,
    },
    auditEventOf,
  );
}

async function resolveScope(
  requested: CreateGrantRequest['scope'],
  deps: Pick<CreateGrantDeps, 'licenses' | 'blindIndexer'>,
): Promise<{ scope: GrantScope; typeCode: string; holderIndex: string }> {
  if ('licenseId' in requested || 'license' in requested) {
    // A license the caller checked is taken as checked: reading it again could meet a re-issue to
    // another holder made in between, and the grant would carry that holder's index.
    const license = 'license' in requested ? requested.license : await readLicense(requested.licenseId, deps);
    // The grant names the license across versions: a re-issue does not void the holder's consent.
    return {
      scope: { kind: 'license', licenseId: license.licenseKey },
      typeCode: license.typeCode,
      holderIndex: license.holderIndex,
    };
  }
  return {
    scope: { kind: 'type', typeCode: requested.typeCode },
    typeCode: requested.typeCode,
    holderIndex: await deps.blindIndexer.tokenFor(requested.holder.codeType, requested.holder.code),
  };
}

async function readLicense(
  licenseId: string,
  deps: Pick<CreateGrantDeps, 'licenses'>,
): Promise<LicenseRecord> {
  const license = await findLicense(parseLicenseReference(licenseId), deps.licenses);
  if (license === undefined) throw new LicenseNotFound(licenseId);
  return license;
}
