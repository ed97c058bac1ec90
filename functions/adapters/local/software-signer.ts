import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { JwsSigner, PublicJwk } from '#core/jws.ts';

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
    return sign('sha256', signingInput, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
  }
}
