import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DEFAULT_MAX_ANNOTATION_SECONDS, retrieveLicense } from '#app/retrieve-license.ts';
import { type AuthenticatedAgency, authenticatedAgency } from '#http/agency-auth.ts';
import { parseJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { createRouter } from '#http/router.ts';
import { RetrievalRequestSchema } from '#http/schemas/retrieval.ts';
import { authenticateAgency } from './agency-authenticator.ts';
import { environment } from './environment.ts';
import { blindIndexerOnFirstUse, fieldCipher, signingKeys } from './key-material.ts';
import { audit, config, grants, layoutDocuments, licenses, seals } from './license-reading.ts';
import { logger, withPowertools } from './observability.ts';

// Retrieval group: retrieval on a holder's grant or a duty basis (holders give and revoke grants
// through the holder group). It reads licenses and the holder index, counts grant uses, writes audit
// events, opens sealed disclosures, signs annotated copies with the platform key and presigns
// layout-document downloads — the license-reading wiring it shares with the holder group.
const maxAnnotationSeconds = Number(
  process.env.ELICENSE_ANNOTATION_MAX_SECONDS ?? DEFAULT_MAX_ANNOTATION_SECONDS,
);
if (!Number.isInteger(maxAnnotationSeconds) || maxAnnotationSeconds < 60) {
  throw new Error(
    `invalid function environment — ELICENSE_ANNOTATION_MAX_SECONDS: expected whole seconds ≥ 60, found ${process.env.ELICENSE_ANNOTATION_MAX_SECONDS}`,
  );
}
const now = () => new Date();
// Only a retrieval by holder needs the blind-index key; one by license identifier answers without it.
const holderLookups = blindIndexerOnFirstUse();
const eventIds = (prefix: string) => () => `${prefix}-${randomUUID()}`;

const router = createRouter(
  'retrieval',
  {
    async retrieveLicense(event) {
      const requester = caller(event);
      const { licenseId, holder, typeCode, basis, purpose } = parseJsonBody(event, RetrievalRequestSchema);
      const retrieval = await retrieveLicense(
        {
          requester: { agency: requester.agency, keyId: requester.keyId },
          // The schema lets through exactly one of the two.
          target:
            licenseId !== undefined
              ? { licenseId }
              : holder !== undefined
                ? { holder, typeCode: typeCode! }
                : { typeCode: typeCode! },
          basis,
          ...(purpose === undefined ? {} : { purpose }),
        },
        {
          licenses,
          grants,
          config,
          audit,
          cipher: await fieldCipher(),
          blindIndexer: holderLookups,
          keys: signingKeys,
          seals,
          documents: layoutDocuments,
          publicBaseUrl: environment.publicBaseUrl,
          now,
          newEventId: eventIds('retrieval'),
          maxAnnotationSeconds,
        },
      );
      return jsonResponse(200, retrieval);
    },
  },
  {
    authenticate: authenticateAgency,
    onUnexpectedError: (error, route) => logger.error('route failed', { error, route: route.operationId }),
  },
);

export const handler = withPowertools(router);

// The router authenticated the agency before any of these runs.
function caller(event: APIGatewayProxyEvent): AuthenticatedAgency {
  const agency = authenticatedAgency(event);
  if (agency === undefined)
    throw new Error('expected an authenticated agency on an agency route, found none');
  return agency;
}
