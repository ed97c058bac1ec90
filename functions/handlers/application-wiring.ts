import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoApplicationStore } from '#adapters/aws/application-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { ATTACHMENT_LIMITS, type NewAttachment } from '#app/applications/application-steps.ts';
import { ATTACHMENT_MEDIA_TYPES } from '#core/layout-document/format.ts';
import { HttpProblem } from '#http/problem.ts';
import { parseQuery } from '#http/request.ts';
import {
  ApplicationIdSchema,
  ApplicationListQuerySchema,
  HolderApplicationListQuerySchema,
} from '#http/schemas/applications.ts';
import { documents, s3 } from './aws-clients.ts';
import { bucket, environment, table } from './environment.ts';

// What both sides of license applications wire the same way — the holder group (apply, respond)
// and the issuer group (review): the applications store with its audit table, and attachments in
// the documents bucket, encrypted under the documents key and bounded to 2 MiB each.

export function applicationStore(): DynamoApplicationStore {
  return new DynamoApplicationStore(documents, {
    applications: table('applications'),
    audit: table('audit'),
  });
}

export function attachmentStore(): S3DocumentStore {
  const kmsKeyId = process.env.ELICENSE_DOCUMENTS_KEY_ID;
  if (!kmsKeyId && environment.keys.kind === 'kms') {
    throw new Error('invalid function environment — ELICENSE_DOCUMENTS_KEY_ID is not set');
  }
  return new S3DocumentStore(s3, {
    bucket: bucket('documents'),
    // The local S3 server ignores server-side encryption; on AWS the documents key is required.
    kmsKeyId: kmsKeyId ?? 'local-documents-key',
    acceptedMediaTypes: ATTACHMENT_MEDIA_TYPES,
    maxBytes: ATTACHMENT_LIMITS.maxBytes,
  });
}

export const newApplicationId = (): string => randomUUID();
export const applicationEventIds = (): string => `application-${randomUUID()}`;

/** Attachments as sent (base64 in JSON), as bytes. */
export function attachmentsOf(
  sent: readonly { mediaType: string; content: string; sha256?: string | undefined }[] | undefined,
): NewAttachment[] {
  return (sent ?? []).map((a) => ({
    bytes: Buffer.from(a.content, 'base64'),
    mediaType: a.mediaType,
    sha256: a.sha256,
  }));
}

/** The application id of the path; a malformed one is no application at all (404). */
export function applicationIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!ApplicationIdSchema.safeParse(id).success) {
    throw new HttpProblem('not-found', `no application ${id}`);
  }
  return id;
}

/** ?state, ?limit and ?cursor of the agency's queue, checked. */
export function listQueryOf(event: APIGatewayProxyEvent) {
  const { state, limit, cursor } = parseQuery(event, ApplicationListQuerySchema);
  return { state, page: pageOf(limit, cursor) };
}

/** ?limit and ?cursor of the holder's listing, checked; any other parameter is 400. */
export function holderListQueryOf(event: APIGatewayProxyEvent) {
  const { limit, cursor } = parseQuery(event, HolderApplicationListQuerySchema);
  return { page: pageOf(limit, cursor) };
}

function pageOf(limit: number | undefined, cursor: string | undefined) {
  return { limit: limit ?? 100, ...(cursor === undefined ? {} : { cursor }) };
}
