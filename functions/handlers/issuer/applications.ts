import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import {
  agencyApplication,
  agencyApplications,
  approveApplication,
  type ReviewDeps,
  rejectApplication,
  requestInformation,
} from '#app/applications/review.ts';
import type { IssuerCaller } from '#app/license-issuance.ts';
import { parseJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import {
  ApproveRequestSchema,
  RejectRequestSchema,
  RequestInformationSchema,
} from '#http/schemas/applications.ts';
import {
  applicationEventIds,
  applicationIdOf,
  applicationStore,
  attachmentStore,
  listQueryOf,
} from '../application-wiring.ts';
import { documents } from '../aws-clients.ts';
import { table } from '../environment.ts';

// The issuing agency's review of applications, in the issuer group: tables applications (RW),
// audit (W) and what issuing needs; the documents bucket (presigned attachment links).

type Idempotent = (
  event: APIGatewayProxyEvent,
  context: Context,
  run: () => Promise<APIGatewayProxyResult>,
) => Promise<APIGatewayProxyResult>;

export function issuerApplicationRoutes(
  issuance: ReviewDeps['issuance'],
  callerOf: (event: APIGatewayProxyEvent) => IssuerCaller,
  idempotent: Idempotent,
): Record<string, RouteImplementation> {
  const deps: ReviewDeps = {
    applications: applicationStore(),
    config: issuance.config,
    cipher: issuance.cipher,
    documents: attachmentStore(),
    audit: new DynamoAuditLogWriter(documents, table('audit')),
    issuance,
    now: issuance.now,
    newEventId: applicationEventIds,
  };
  return {
    async listApplications(event) {
      const { state, page } = listQueryOf(event);
      const listed = await agencyApplications(callerOf(event), state ?? 'submitted', page, deps);
      return jsonResponse(200, {
        applications: listed.items,
        ...(listed.cursor === undefined ? {} : { cursor: listed.cursor }),
      });
    },
    async getApplication(event) {
      return jsonResponse(200, await agencyApplication(callerOf(event), applicationIdOf(event), deps));
    },
    async requestApplicationInformation(event, context) {
      const request = parseJsonBody(event, RequestInformationSchema);
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      return idempotent(event, context, async () =>
        jsonResponse(200, await requestInformation(caller, id, request, deps)),
      );
    },
    async approveApplication(event, context) {
      const request = parseJsonBody(event, ApproveRequestSchema);
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      return idempotent(event, context, async () =>
        jsonResponse(200, await approveApplication(caller, id, request, deps)),
      );
    },
    async rejectApplication(event, context) {
      const request = parseJsonBody(event, RejectRequestSchema);
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      return idempotent(event, context, async () =>
        jsonResponse(200, await rejectApplication(caller, id, request, deps)),
      );
    },
  };
}
