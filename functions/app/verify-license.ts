import { sealKeyWithKid } from '#core/catalog/agency.ts';
import type { PublicJwk } from '#core/jws.ts';
import {
  agencyOfIssuer,
  type SdJwtVcVerification,
  statusListIdOfUri,
  verifySdJwtVc,
} from '#core/sd-jwt-vc/index.ts';
import type { ConfigStore } from '#ports/config-store.ts';
import type { SigningKeys } from '#ports/signer.ts';
import type { StatusReader } from '#ports/status-reader.ts';

export interface VerifyLicenseDeps {
  config: Pick<ConfigStore, 'getAgency'>;
  keys: Pick<SigningKeys, 'keyFor'>;
  statuses: StatusReader;
  /** The platform's public base URL: issuers and status lists of this platform live under it. */
  publicBaseUrl: string;
  /** NumericDate seconds. */
  now: () => number;
}

export interface VerifyLicenseRequest {
  /** An issued license or a presentation: `<issuer-jwt>~<disclosures>~[<kb-jwt>]`. */
  presentation: string;
  /** When given, a key-bound presentation for this audience and nonce is required. */
  keyBinding?: { audience: string; nonce: string };
}

/**
 * Online verification of a license issued on this platform: issuer keys from the registry
 * (the agency named by `iss`, its current or a previous seal key by `kid`), status from the
 * stored list entry.
 */
export async function verifyLicense(
  request: VerifyLicenseRequest,
  deps: VerifyLicenseDeps,
): Promise<SdJwtVcVerification> {
  return verifySdJwtVc(request.presentation, {
    now: deps.now(),
    ...(request.keyBinding ? { keyBinding: request.keyBinding } : {}),
    resolveIssuerKey: (iss, kid) => issuerKey(iss, kid, deps),
    status: async (ref) => {
      const listId = statusListIdOfUri(deps.publicBaseUrl, ref.uri);
      if (listId === undefined) throw new Error(`${ref.uri} is not a status list of this platform`);
      const value = await deps.statuses.statusOf(listId, ref.idx);
      if (value === undefined) throw new Error('no license holds this status entry');
      return value;
    },
  });
}

async function issuerKey(iss: string, kid: string, deps: VerifyLicenseDeps): Promise<PublicJwk | undefined> {
  const uscc = agencyOfIssuer(deps.publicBaseUrl, iss);
  if (uscc === undefined) return undefined;
  const agency = (await deps.config.getAgency(uscc))?.value;
  // A rotated-out seal key still verifies the licenses it signed before the rotation.
  const seal = agency && sealKeyWithKid(agency, kid);
  if (!seal) return undefined;
  return (await deps.keys.keyFor(seal.keyRef)).publicJwk;
}
