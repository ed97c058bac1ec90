import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  applyForLicense,
  type HolderApplicationDeps,
  holderApplication,
  holderApplications,
  respondToApplication,
  withdrawApplication,
} from '#app/applications/apply.ts';
import { HttpProblem } from '#http/problem.ts';
import { header, parseJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import {
  ApplyRequestSchema,
  RespondRequestSchema,
  WithdrawRequestSchema,
} from '#http/schemas/applications.ts';
import {
  applicationEventIds,
  applicationIdOf,
  applicationStore,
  attachmentStore,
  attachmentsOf,
  holderListQueryOf,
  newApplicationId,
} from '../application-wiring.ts';
import { blindIndexerOnFirstUse } from '../key-material.ts';
import { holderOf } from './account.ts';
import { audit, cipher, config, identity, licenses } from './deps.ts';

// The holder's license applications: tables applications (RW), audit (W), config (R), holders (R,
// the binding), licenses (R: an approving application's license, which bars its withdrawal); the
// documents bucket (attachments in, presigned links out); the field key and the blind-index key.
const deps: HolderApplicationDeps = {
  applications: applicationStore(),
  config,
  cipher,
  documents: attachmentStore(),
  audit,
  identities: identity,
  licenses,
  // Keys the digest a keyed submission keeps of its request. Made on first use, as for grants and
  // proofing: a stage without the blind-index key blob yet still starts the holder function.
  blindIndex: blindIndexerOnFirstUse(),
  now: () => new Date(),
  newId: newApplicationId,
  newEventId: applicationEventIds,
};

const IDEMPOTENCY_KEY = 'Idempotency-Key';

/** An Idempotency-Key when the holder's app sends one (optional here), checked like the issuer's. */
function optionalIdempotencyKey(event: APIGatewayProxyEvent): string | undefined {
  const key = header(event, IDEMPOTENCY_KEY);
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new HttpProblem(
      'bad-request',
      `${IDEMPOTENCY_KEY} must be 1–255 printable ASCII characters without spaces, found ${key.length} characters`,
    );
  }
  return key;
}

export const applicationsRoutes: Record<string, RouteImplementation> = {
  async applyForLicense(event) {
    const { attachments, ...request } = parseJsonBody(event, ApplyRequestSchema);
    const idempotencyKey = optionalIdempotencyKey(event);
    const view = await applyForLicense(
      holderOf(event).account,
      { ...request, attachments: attachmentsOf(attachments) },
      deps,
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
    return jsonResponse(201, view, { location: `/holder/applications/${view.id}` });
  },
  async listHolderApplications(event) {
    const { page } = holderListQueryOf(event);
    const listed = await holderApplications(holderOf(event).account, page, deps);
    return jsonResponse(200, {
      applications: listed.items,
      ...(listed.cursor === undefined ? {} : { cursor: listed.cursor }),
      auditEventId: listed.auditEventId,
    });
  },
  async getHolderApplication(event) {
    return jsonResponse(200, await holderApplication(holderOf(event).account, applicationIdOf(event), deps));
  },
  async respondToApplication(event) {
    const { attachments, ...request } = parseJsonBody(event, RespondRequestSchema);
    const view = await respondToApplication(
      holderOf(event).account,
      applicationIdOf(event),
      { ...request, attachments: attachmentsOf(attachments) },
      deps,
    );
    return jsonResponse(200, view);
  },
  async withdrawApplication(event) {
    const request = parseJsonBody(event, WithdrawRequestSchema);
    return jsonResponse(
      200,
      await withdrawApplication(holderOf(event).account, applicationIdOf(event), request, deps),
    );
  },
};
