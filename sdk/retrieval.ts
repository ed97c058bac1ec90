// The retrieval group of the agency SDK: retrieval (调阅) on a holder's grant (用证授权, which the
// holder gives through the holder API: sdk/holder.ts) or a duty-based sharing agreement (依职能用证), with a
// check of the annotated copy (加注件) that any relying agency can run offline against the
// platform's published keys.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { type AgencyClient, type AgencyClientOptions, createAgencyClient } from './agency-client.ts';
import { answerOf } from './problem.ts';

export { PlatformProblemError, type Problem, UnexpectedAnswerError } from './problem.ts';

/** An RFC 9457 problem the platform answered with; `code` names a refusal (e.g. GRANT_EXHAUSTED). */
/** 持证主体: `111` citizen identity number, `001` unified social credit code, others as data. */
export interface HolderIdentity {
  codeType: string;
  code: string;
}

export interface Grant {
  id: string;
  scope: { kind: 'license'; licenseId: string } | { kind: 'type'; typeCode: string };
  relyingAgency: string;
  purpose: string;
  fields: string[];
  expiresAt: string;
  maxUses: number;
  uses: number;
  status: 'active' | 'revoked';
  created: string;
  revoked?: string;
  lastUsedAt?: string;
}

/**
 * What is asked for: a license by id; on a duty basis a holder's license of a type; under a grant
 * the grant holder's license of a type (the grant names its holder; naming one is refused, 400).
 */
export type RetrievalTarget =
  | { licenseId: string }
  | { holder: HolderIdentity; typeCode: string }
  | { typeCode: string };

export type RetrievalBasis =
  | { grant: { code: string } }
  | { duty: { serviceItemCode: string; caseNumber: string; operatorId: string } };

export type RetrieveRequest = (
  | (({ licenseId: string } | { typeCode: string }) & { basis: { grant: { code: string } } })
  | (({ licenseId: string } | { holder: HolderIdentity; typeCode: string }) & {
      basis: { duty: { serviceItemCode: string; caseNumber: string; operatorId: string } };
    })
) & {
  /** The grant's purpose, or one of the agreement's; defaults to the grant's (or the agreement's only one). */
  purpose?: string;
};

export interface Retrieval {
  licenseId: string;
  licenseVersion: string;
  typeCode: string;
  /** SD-JWT VC with only the disclosures the basis allows; verify it like any presentation. */
  presentation: string;
  disclosed: string[];
  /** The annotated copy (加注件): a JWT signed with the platform key. */
  annotation: string;
  usableUntil: string;
  /** Present only when the basis allows every field of the license. */
  document?: { url: string; expiresAt: string; sha256: string; mediaType: string };
  /** The license's seal key is withdrawn: the presentation fails verification until its issuer re-issues it. */
  sealWithdrawn?: SealWithdrawn;
  auditEventId: string;
}

/**
 * The flag on a license whose seal key the operator has withdrawn: every verification of it fails
 * its signature check until its issuer re-issues it. The platform may take up to 60 s to show it.
 */
export interface SealWithdrawn {
  /** The seal key the license's issuer JWT names. */
  kid: string;
  /** When it was withdrawn; absent when the agency has since let go of the key. */
  since?: string;
  /** The same in words, and what to do. */
  detail: string;
}

export interface RetrievalClient {
  readonly agency: AgencyClient;
  /** Retrieves a license (relying agencies). Refusals reject with PlatformProblemError; `problem.code` says why. */
  retrieve(request: RetrieveRequest): Promise<Retrieval>;
}

/** A retrieval client over a signing client, or over the options to create one. */
export function createRetrievalClient(client: AgencyClient | AgencyClientOptions): RetrievalClient {
  const agency = 'request' in client ? client : createAgencyClient(client);
  const post = async <T>(path: string, json: unknown): Promise<T> => {
    const response = await agency.request('POST', path, { json });
    return answerOf<T>(response);
  };
  return {
    agency,
    retrieve: (request) => post('/retrievals', request),
  };
}

/** `typ` of an annotated copy. */
export const ANNOTATION_TYP = 'elicense-annotation+jwt';

export interface AnnotationClaims extends JWTPayload {
  requester: string;
  basis:
    | { kind: 'grant'; grant_id: string }
    | {
        kind: 'duty';
        agreement_id: string;
        service_item_code: string;
        service_item_name: string;
        operator_id: string;
      };
  purpose: string;
  case_number?: string;
  license_id: string;
  license_version: string;
  type_code: string;
  disclosed: string[];
  presentation_digest: { alg: 'sha-256'; value: string };
  document?: { sha256: string; media_type: string };
  /**
   * Present when the license's seal key was withdrawn as the copy was made (as far as the platform
   * knew: up to 60 s late): the presentation fails verification until its issuer re-issues it.
   * `since` is absent when the agency had let go of the key.
   */
  seal_withdrawn?: { kid: string; since?: string };
}

/**
 * Checks a retrieval's annotated copy offline: signed by a key of the platform's JWKS
 * (`GET /.well-known/jwks.json`), of type elicense-annotation+jwt, not expired, issued to
 * `requester` when given, and bound to exactly the retrieval's presentation. Resolves with its
 * claims; rejects naming what failed.
 */
export async function verifyAnnotation(
  retrieval: Pick<Retrieval, 'annotation' | 'presentation'>,
  jwks: JSONWebKeySet,
  options: { requester?: string; currentDate?: Date } = {},
): Promise<AnnotationClaims> {
  // The platform's keys only: an agency seal key must never make an annotated copy verify.
  const platformKeys = {
    keys: jwks.keys.filter((key) => (key as { owner?: unknown }).owner !== 'agency'),
  };
  const { payload } = await jwtVerify(retrieval.annotation, createLocalJWKSet(platformKeys), {
    typ: ANNOTATION_TYP,
    algorithms: ['ES256'],
    ...(options.requester === undefined ? {} : { audience: options.requester }),
    ...(options.currentDate === undefined ? {} : { currentDate: options.currentDate }),
  });
  const claims = payload as AnnotationClaims;
  const digest = createHash('sha256').update(retrieval.presentation, 'utf8').digest('base64url');
  if (claims.presentation_digest?.alg !== 'sha-256' || claims.presentation_digest.value !== digest) {
    throw new Error(
      `expected the annotated copy to bind the presentation's sha-256 ${digest}, found ${JSON.stringify(claims.presentation_digest)}`,
    );
  }
  return claims;
}
