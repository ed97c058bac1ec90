// The annotated copy (加注件) of a retrieval: the platform's signed statement of who obtained
// which license version, on what basis, for what purpose, when, and until when the copy may
// be used — bound to exactly the presentation handed out by its SHA-256. A relying agency files
// it with the case; anyone holding the platform key (JWKS) can check it offline. Its `jti` is
// the retrieval's audit event id, so the statement and the audit log name each other.
import {
  decodeCompactJws,
  type JsonObject,
  type JwsSigner,
  type PublicJwk,
  signCompactJws,
  verifyEs256,
} from './jws.ts';
import { sdDigest } from './sd-jwt-vc/digest.ts';

/** `typ` header of an annotated copy. */
export const ANNOTATION_TYP = 'elicense-annotation+jwt';
/** The one digest algorithm of `presentation_digest`: base64url SHA-256 of the presentation text. */
export const ANNOTATION_DIGEST_ALG = 'sha-256';

/** Why the platform let the license out. */
export type RetrievalBasis =
  | { kind: 'grant'; grantId: string }
  | {
      kind: 'duty';
      agreementId: string;
      serviceItem: { code: string; name: string };
      caseNumber: string;
      operatorId: string;
    };

export interface AnnotatedCopyStatement {
  /** `iss`: the platform's public base URL. */
  platform: string;
  /** `aud`: USCC of the agency that obtained the copy. */
  requester: string;
  basis: RetrievalBasis;
  purpose: string;
  licenseId: string;
  licenseVersion: string;
  typeCode: string;
  /** Names of the fields disclosed in the presentation. */
  disclosed: readonly string[];
  /** The presentation exactly as handed out; only its digest goes into the statement. */
  presentation: string;
  /** The layout document the copy came with, when it did. */
  document?: { sha256: string; mediaType: string };
  /** NumericDate seconds. */
  issuedAt: number;
  /** NumericDate seconds: the copy may be used until then. */
  expiresAt: number;
  /** `jti`: the retrieval's audit event id. */
  eventId: string;
  /**
   * The license's seal key, withdrawn when the copy was made (as far as the platform knew then —
   * its agency records are cached up to 60 s): the presentation fails verification, and whoever
   * relies on the copy offline learns why. An optional claim: verifiers that ignore it still pass.
   */
  sealWithdrawn?: { kid: string; since?: string };
}

/** The JWT claims of an annotated copy. */
export function annotationClaims(statement: AnnotatedCopyStatement): JsonObject {
  const { basis } = statement;
  if (!(statement.expiresAt > statement.issuedAt)) {
    throw new RangeError(
      `expected an annotated copy to expire after it is issued (${statement.issuedAt}), found ${statement.expiresAt}`,
    );
  }
  return {
    iss: statement.platform,
    sub: statement.licenseId,
    aud: statement.requester,
    iat: statement.issuedAt,
    exp: statement.expiresAt,
    jti: statement.eventId,
    requester: statement.requester,
    basis:
      basis.kind === 'grant'
        ? { kind: 'grant', grant_id: basis.grantId }
        : {
            kind: 'duty',
            agreement_id: basis.agreementId,
            service_item_code: basis.serviceItem.code,
            service_item_name: basis.serviceItem.name,
            operator_id: basis.operatorId,
          },
    purpose: statement.purpose,
    ...(basis.kind === 'duty' ? { case_number: basis.caseNumber } : {}),
    license_id: statement.licenseId,
    license_version: statement.licenseVersion,
    type_code: statement.typeCode,
    disclosed: [...statement.disclosed],
    presentation_digest: { alg: ANNOTATION_DIGEST_ALG, value: sdDigest(statement.presentation) },
    ...(statement.document
      ? { document: { sha256: statement.document.sha256, media_type: statement.document.mediaType } }
      : {}),
    ...(statement.sealWithdrawn
      ? {
          seal_withdrawn: {
            kid: statement.sealWithdrawn.kid,
            ...(statement.sealWithdrawn.since === undefined ? {} : { since: statement.sealWithdrawn.since }),
          },
        }
      : {}),
  };
}

/** Signs the annotated copy with the platform key. */
export function signAnnotatedCopy(statement: AnnotatedCopyStatement, signer: JwsSigner): Promise<string> {
  return signCompactJws({ typ: ANNOTATION_TYP }, annotationClaims(statement), signer);
}

export type AnnotationCheck =
  | { valid: true; claims: JsonObject }
  | {
      valid: false;
      /** `malformed`, `type`, `key`, `signature`, `expired`, `not-yet-valid` or `digest`. */
      failed: 'malformed' | 'type' | 'key' | 'signature' | 'expired' | 'not-yet-valid' | 'digest';
      detail: string;
    };

/**
 * Checks an annotated copy against the platform key and the presentation it came with, at
 * `now` (NumericDate seconds), allowing `skewSeconds` of clock difference on `iat`.
 */
export function verifyAnnotatedCopy(
  jwt: string,
  context: { platformKey: PublicJwk; presentation: string; now: number; skewSeconds?: number },
): AnnotationCheck {
  let decoded: ReturnType<typeof decodeCompactJws>;
  try {
    decoded = decodeCompactJws(jwt);
  } catch (error) {
    return { valid: false, failed: 'malformed', detail: (error as Error).message };
  }
  const { header, payload } = decoded;
  if (header.typ !== ANNOTATION_TYP || header.alg !== 'ES256') {
    return {
      valid: false,
      failed: 'type',
      detail: `expected typ ${ANNOTATION_TYP} with alg ES256, found typ ${String(header.typ)} with alg ${String(header.alg)}`,
    };
  }
  if (header.kid !== context.platformKey.kid) {
    return {
      valid: false,
      failed: 'key',
      detail: `expected the platform key ${context.platformKey.kid}, found kid ${String(header.kid)}`,
    };
  }
  if (!verifyEs256(decoded.signingInput, decoded.signature, context.platformKey)) {
    return {
      valid: false,
      failed: 'signature',
      detail: 'the signature does not verify with the platform key',
    };
  }
  const skew = context.skewSeconds ?? 60;
  if (typeof payload.exp !== 'number' || payload.exp <= context.now) {
    return { valid: false, failed: 'expired', detail: `the copy expired at ${String(payload.exp)}` };
  }
  if (typeof payload.iat !== 'number' || payload.iat > context.now + skew) {
    return {
      valid: false,
      failed: 'not-yet-valid',
      detail: `the copy is issued at ${String(payload.iat)}, in the future`,
    };
  }
  const digest = payload.presentation_digest as { alg?: unknown; value?: unknown } | undefined;
  const expected = sdDigest(context.presentation);
  if (digest?.alg !== ANNOTATION_DIGEST_ALG || digest.value !== expected) {
    return {
      valid: false,
      failed: 'digest',
      detail: `expected the ${ANNOTATION_DIGEST_ALG} digest ${expected} of the presentation, found ${JSON.stringify(digest)}`,
    };
  }
  return { valid: true, claims: payload };
}
