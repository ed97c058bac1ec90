import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { JwsSigner, PublicJwk } from '#core/jws.ts';
import { derToRawEcdsaSignature } from '#core/keys/ecdsa-signature.ts';

/** An ES256 signer over a software P-256 key: the local key vault's signer, and the tests'. */
export class SoftwareEs256Signer implements JwsSigner {
  readonly alg = 'ES256' as const;
  readonly kid: string;
  readonly #privateKey: KeyObject;
  readonly publicJwk: PublicJwk;

  constructor(kid: string, privateKey?: KeyObject) {
    this.kid = kid;
    this.#privateKey = privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const { kty, crv, x, y } = this.#privateKey.export({ format: 'jwk' });
    this.publicJwk = { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' } as PublicJwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    // The KeyObject and a DER answer converted here, not `{ key, dsaEncoding: 'ieee-p1363' }`:
    // node 24 tells that options object from a key by brand checks that throw (see verifyEs256
    // in jws.ts); measured 73 → 31 µs per signature.
    return derToRawEcdsaSignature(sign('sha256', signingInput, this.#privateKey), 32);
  }
}
