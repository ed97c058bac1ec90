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
import { VerificationUnavailable } from './verification-errors.ts';

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
 * stored list entry. Fails with VerificationUnavailable when a store or the key service fails.
 */
export async function verifyLicense(
  request: VerifyLicenseRequest,
  deps: VerifyLicenseDeps,
): Promise<SdJwtVcVerification> {
  // A port that throws is the platform failing, never the credential. The verifier would report
  // it as a failed check — a verdict of "invalid" that is not one, carrying the error's words —
  // so the first failure is kept and thrown in place of the answer.
  let unavailable: VerificationUnavailable | undefined;
  const read = async <T>(what: string, reading: Promise<T>): Promise<T> => {
    try {
      return await reading;
    } catch (error) {
      unavailable ??= new VerificationUnavailable(what, error);
      throw unavailable;
    }
  };
  const result = await verifySdJwtVc(request.presentation, {
    now: deps.now(),
    ...(request.keyBinding ? { keyBinding: request.keyBinding } : {}),
    resolveIssuerKey: (iss, kid) => issuerKey(iss, kid, deps, read),
    status: async (ref) => {
      const listId = statusListIdOfUri(deps.publicBaseUrl, ref.uri);
      if (listId === undefined) throw new Error(`${ref.uri} is not a status list of this platform`);
      const value = await read("the license's status", deps.statuses.statusOf(listId, ref.idx));
      if (value === undefined) throw new Error('no license holds this status entry');
      return value;
    },
  });
  if (unavailable) throw unavailable;
  return result;
}

async function issuerKey(
  iss: string,
  kid: string,
  deps: VerifyLicenseDeps,
  read: <T>(what: string, reading: Promise<T>) => Promise<T>,
): Promise<PublicJwk | undefined> {
  const uscc = agencyOfIssuer(deps.publicBaseUrl, iss);
  if (uscc === undefined) return undefined;
  const agency = (await read('the issuer key', deps.config.getAgency(uscc)))?.value;
  // A rotated-out seal key still verifies the licenses it signed before the rotation.
  const seal = agency && sealKeyWithKid(agency, kid);
  if (!seal) return undefined;
  return (await read('the issuer key', deps.keys.keyFor(seal.keyRef))).publicJwk;
}
