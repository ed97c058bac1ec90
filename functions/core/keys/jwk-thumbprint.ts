// RFC 7638 JWK thumbprints: the key id every signing key publishes, so that the same key
// has the same `kid` whether it is reached by KMS key id, ARN or alias, in every container.
import { createHash } from 'node:crypto';
import { base64url } from '../jws.ts';

/** The members RFC 7638 §3.2 hashes for each key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
};

/** A JWK that lacks what its thumbprint needs. */
export class UnsupportedJwk extends Error {
  readonly code = 'UNSUPPORTED_JWK';
  constructor(reason: string) {
    super(`cannot compute a JWK thumbprint: ${reason}`);
    this.name = 'UnsupportedJwk';
  }
}

/** The RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding. */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const kty = jwk.kty;
  const members = typeof kty === 'string' ? REQUIRED_MEMBERS[kty] : undefined;
  if (members === undefined) {
    throw new UnsupportedJwk(
      `expected kty one of ${Object.keys(REQUIRED_MEMBERS).join(', ')}, found ${JSON.stringify(kty)}`,
    );
  }
  const parts = members.map((name) => {
    const value = jwk[name];
    if (typeof value !== 'string')
      throw new UnsupportedJwk(`expected member '${name}' of a ${kty} key to be a string`);
    // The members are base64url strings and fixed names, so JSON.stringify is the canonical
    // form RFC 7638 asks for (no whitespace, members in this order).
    return `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  });
  return base64url(
    createHash('sha256')
      .update(`{${parts.join(',')}}`)
      .digest(),
  );
}
