import { fromBase64url, type JwsSigner, signCompactJws } from '../jws.ts';
import { KB_JWT_TYP } from './claims.ts';
import { sdDigest } from './digest.ts';
import { SdJwtVcError } from './errors.ts';

/** What the holder binds a presentation to: the verifier's audience and nonce, and the time. */
export interface KeyBindingRequest {
  /** The holder's device key; must match the credential's `cnf.jwk`. */
  signer: JwsSigner;
  audience: string;
  nonce: string;
  /** `iat` of the KB-JWT, NumericDate seconds. */
  issuedAt: number;
}

export interface PresentSdJwtVcOptions {
  keyBinding?: KeyBindingRequest;
}

/**
 * Builds a presentation that discloses only the named top-level fields, with a KB-JWT when
 * asked. Written here rather than with `@sd-jwt/core`'s `present`: that one signs through a
 * string-returning callback with a separately named algorithm (we sign through JwsSigner, so
 * KMS and SM2 plug in), decodes and hashes every disclosure, and silently ignores a field name
 * the credential does not have — a holder asking for one is a bug we want to hear about.
 */
export async function presentSdJwtVc(
  sdJwt: string,
  fieldNames: readonly string[],
  options: PresentSdJwtVcOptions = {},
): Promise<string> {
  const parts = sdJwt.split('~');
  if (parts.length < 2 || parts.at(-1) !== '') {
    throw new SdJwtVcError(
      'not_an_sd_jwt',
      'expected an issued SD-JWT `<jwt>~<disclosure>~…~` without key binding, found another shape',
    );
  }
  const wanted = new Set(fieldNames);
  const chosen = [parts[0]!];
  for (const encoded of parts.slice(1, -1)) {
    const name = disclosedName(encoded);
    if (name !== undefined && wanted.delete(name)) chosen.push(encoded);
  }
  if (wanted.size > 0) {
    throw new SdJwtVcError(
      'unknown_field',
      `expected fields the credential discloses, found unknown ${[...wanted].map((n) => `"${n}"`).join(', ')}`,
    );
  }
  const presentation = `${chosen.join('~')}~`;
  const kb = options.keyBinding;
  if (!kb) return presentation;
  const kbJwt = await signCompactJws(
    { typ: KB_JWT_TYP },
    { iat: kb.issuedAt, aud: kb.audience, nonce: kb.nonce, sd_hash: sdDigest(presentation) },
    kb.signer,
  );
  return presentation + kbJwt;
}

// The claim name of an object-property disclosure; undefined for array-element disclosures.
function disclosedName(encoded: string): string | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(fromBase64url(encoded).toString('utf8'));
  } catch {
    throw new SdJwtVcError('not_an_sd_jwt', `expected base64url JSON disclosures, found "${encoded}"`);
  }
  if (!Array.isArray(decoded) || (decoded.length !== 2 && decoded.length !== 3)) {
    throw new SdJwtVcError(
      'not_an_sd_jwt',
      `expected a disclosure array of 2 or 3 elements, found "${encoded}"`,
    );
  }
  return decoded.length === 3 && typeof decoded[1] === 'string' ? decoded[1] : undefined;
}
