import type { Assurance, ClaimedIdentity } from '#core/holders/identity.ts';

// An identity-proofing provider decides whether the person behind a holder account is who they
// claim to be, from evidence only the provider understands (a selfie, a demo token, a bank-card
// verification, a SIM-shield signature). The platform keeps its decision (verified, assurance,
// methods, reason), never the evidence.

export interface ProofingRequest {
  account: string;
  /** Normalised and shape-checked before any provider sees it. */
  identity: ClaimedIdentity & { name?: string | undefined };
  /** Provider-specific; each provider parses its own and throws ProofingEvidenceInvalid. */
  evidence: Readonly<Record<string, unknown>>;
}

export interface ProofingResult {
  verified: boolean;
  /** The level a verified result earns; meaningless when not verified. */
  assurance: Assurance;
  methods: string[];
  /** Why not verified (no personal data). */
  reason?: string | undefined;
}

export interface IdentityProofingProvider {
  /** Stable name a client chooses the provider by, recorded in every proofing. */
  readonly name: string;
  proof(request: ProofingRequest): Promise<ProofingResult>;
}

/** The evidence is not what the provider takes: a bad request, nothing recorded. */
export class ProofingEvidenceInvalid extends Error {
  readonly code = 'PROOFING_EVIDENCE_INVALID';
  constructor(provider: string, reason: string) {
    super(`evidence for ${provider} refused: ${reason}`);
    this.name = 'ProofingEvidenceInvalid';
  }
}

/** The provider could not decide (down, throttled): nothing recorded, try again later. */
export class ProofingProviderUnavailable extends Error {
  readonly code = 'PROOFING_PROVIDER_UNAVAILABLE';
  constructor(provider: string, cause: unknown) {
    super(`identity-proofing provider ${provider} is unavailable`, { cause });
    this.name = 'ProofingProviderUnavailable';
  }
}

/** Where the registered ID photo of an identity comes from (e.g. the public-security photo service). */
export interface ReferencePhotoSource {
  /** JPEG or PNG bytes; undefined when the identity has no registered photo. */
  photoOf(identity: ClaimedIdentity): Promise<Uint8Array | undefined>;
}
