import type { IdentityProofingProvider, ProofingRequest, ProofingResult } from '#ports/identity-proofing.ts';
import { ProofingEvidenceInvalid } from '#ports/identity-proofing.ts';

// NOT IDENTITY PROOFING. A stand-in for `npm start` and the tests: it believes any well-formed
// identity (the use case has checked its shape) presented with one fixed, published token. It
// proves nothing about anyone, so it exists only where the keys are the local vault: the holder
// handler refuses to start with it enabled on a stage that uses KMS (see holder/identity.ts).

/** The one evidence token the development provider accepts; printed in the README. */
export const DEVELOPMENT_ONLY_EVIDENCE_TOKEN = 'development-only-not-a-real-proof';

export const DEVELOPMENT_ONLY_PROVIDER_NAME = 'development-only';

export class DevelopmentOnlyProofingProvider implements IdentityProofingProvider {
  readonly name = DEVELOPMENT_ONLY_PROVIDER_NAME;

  /** `local` must be true: the caller states that this stage is a local one. */
  constructor(options: { local: boolean }) {
    if (!options.local) {
      throw new Error(
        'the development-only proofing provider proves nothing and runs only on local stages (local key vault); remove it from ELICENSE_PROOFING_PROVIDERS',
      );
    }
  }

  async proof(request: ProofingRequest): Promise<ProofingResult> {
    const token = request.evidence.token;
    if (typeof token !== 'string') {
      throw new ProofingEvidenceInvalid(this.name, 'expected evidence {"token": "<the development token>"}');
    }
    const methods = ['development-demo-token'];
    if (token !== DEVELOPMENT_ONLY_EVIDENCE_TOKEN) {
      return { verified: false, assurance: 'low', methods, reason: 'the development token does not match' };
    }
    return { verified: true, assurance: 'low', methods };
  }
}
