import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import type { ApplicationView } from '#app/applications/application-steps.ts';
import {
  type Approval,
  agencyApplication,
  agencyApplications,
  approveApplication,
  type ReviewDeps,
  rejectApplication,
  requestInformation,
} from '#app/applications/review.ts';
import type { IssuerCaller } from '#app/license-issuance.ts';
import { ifMatch, parseJsonBody } from '#http/request.ts';
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
//
// A review step (request-info, reject, approve) runs under the Idempotency-Key, but its record
// keeps only the step's outcome — the application id and state, an approval's license — never the
// view: that carries the applicant's data and the notes in the clear, which are kept encrypted
// everywhere else, and attachment links that expire after five minutes. The first answer is the
// view the step built; a repeat reads the application again as GET /applications/{id} does
// (audited, fresh links), as it stands by then.

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
        auditEventId: listed.auditEventId,
      });
    },
    async getApplication(event) {
      const read = await agencyApplication(callerOf(event), applicationIdOf(event), deps);
      // Its version, which an approval or rejection may name in If-Match (decided on what was read).
      return jsonResponse(200, read, { etag: `"${read.version}"` });
    },
    async requestApplicationInformation(event, context) {
      const request = parseJsonBody(event, RequestInformationSchema);
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      const { application } = await reviewStep(caller, event, context, async () => ({
        application: await requestInformation(caller, id, request, deps),
      }));
      return jsonResponse(200, application);
    },
    async approveApplication(event, context) {
      const request = {
        ...parseJsonBody(event, ApproveRequestSchema),
        expectedVersion: ifMatch(event, false),
      };
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      return jsonResponse(
        200,
        await reviewStep(caller, event, context, () => approveApplication(caller, id, request, deps)),
      );
    },
    async rejectApplication(event, context) {
      const request = {
        ...parseJsonBody(event, RejectRequestSchema),
        expectedVersion: ifMatch(event, false),
      };
      const caller = callerOf(event);
      const id = applicationIdOf(event);
      const { application } = await reviewStep(caller, event, context, async () => ({
        application: await rejectApplication(caller, id, request, deps),
      }));
      return jsonResponse(200, application);
    },
  };

  /** A step's answer again, the application read as it stands: the read's event id is no part of it. */
  async function replayedView(caller: IssuerCaller, id: string): Promise<ApplicationView> {
    const { auditEventId: _read, ...view } = await agencyApplication(caller, id, deps);
    return view;
  }

  /** Runs a review step once per Idempotency-Key, remembering its outcome only (module comment). */
  async function reviewStep(
    caller: IssuerCaller,
    event: APIGatewayProxyEvent,
    context: Context,
    step: () => Promise<StepAnswer>,
  ): Promise<StepAnswer> {
    let built: ApplicationView | undefined;
    const remembered = await idempotent(event, context, async () => {
      const { application, license } = await step();
      built = application;
      const outcome: StepOutcome = {
        application: { id: application.id, state: application.state },
        ...(license === undefined ? {} : { license }),
      };
      return jsonResponse(200, outcome);
    });
    const { application, license } = JSON.parse(remembered.body) as StepOutcome;
    return {
      application: built ?? (await replayedView(caller, application.id)),
      ...(license === undefined ? {} : { license }),
    };
  }
}

/** What a review step answers: the application as it stands after it, and an approval's license. */
type StepAnswer = { application: ApplicationView; license?: Approval['license'] };

/** What the idempotency record keeps of a review step: nothing of the applicant's. */
interface StepOutcome {
  application: Pick<ApplicationView, 'id' | 'state'>;
  license?: Approval['license'];
}
