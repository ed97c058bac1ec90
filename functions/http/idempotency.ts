// Idempotency-Key on POST routes, inside the route implementation: the router has authenticated
// the agency first, so the record can be keyed on who asked. Powertools idempotency's function
// wrapper (makeIdempotent) does the bookkeeping on its persistence layer (DynamoDB in the
// handlers) with the platform's settings from functions/adapters/aws/idempotency.ts.
//
// Powertools hashes a payload with the settings' JMESPath expressions. The payload handed to it
// is a small event-shaped object built here, not the raw API Gateway event, because
//   - header names arrive in the client's case on API Gateway REST, and JMESPath has no
//     case-insensitive lookup: the key is read here and put under its lower-case name;
//   - `resource` is the addressed path (`/licenses/<id>/revoke`), not the template: the same key
//     used on two licenses must be two records, or the second would get the first's answer.
// So the record key is the SHA-256 of [agency, method, addressed path, Idempotency-Key], and the
// record holds the SHA-256 of a keyed digest of the raw body (the same key with another body →
// 422). Keyed (bodyDigest, the blind index's HMAC in the handlers): a bare hash of a small body
// — an approval correcting one birth date — could be tested against guesses by anyone reading
// the table until the record expires.
//
// Only completed responses are remembered: a route that throws (a refusal, a failure) leaves no
// record, and the same request may be sent again; so does one whose work answers as
// AnswerNotRemembered (a batch holding an item whose fate is unknown, which the batch run again
// settles). A second copy arriving while the first still runs is answered 409. A record can be
// lost after the work was done — deleted when the work failed part way (a batch past its
// deadline), expired at the function's deadline, or never saved (503) — so the work is handed the key: an issue names its licenses after it (or, a serial
// the issuer chose, keeps the key's digest on the license), and a re-issue and a status change keep
// its digest on what they write (app/request-digest.ts), so that the work run again meets what its
// first run made and answers as it did.
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { IdempotencyConfigOptions } from '@aws-lambda-powertools/idempotency/types';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { authenticatedAgency } from './agency-auth.ts';
import { isDependencyUnavailable } from './domain-problems.ts';
import { HttpProblem } from './problem.ts';
import { header } from './request.ts';

/**
 * Thrown by a route's work to answer without remembering the answer: its record is released as
 * for a failure, so the same request sent again with the same key runs the work again. A record
 * that cannot be released lapses at the function's deadline (Powertools' in-progress expiry);
 * until then a repeat is answered 409, as while the work runs.
 */
export class AnswerNotRemembered extends Error {
  readonly response: APIGatewayProxyResult;
  constructor(response: APIGatewayProxyResult) {
    super('answered without remembering the answer under its Idempotency-Key');
    this.name = 'AnswerNotRemembered';
    this.response = response;
  }
}

/** The header carrying the client's key (RFC draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY = 'Idempotency-Key';
/** Printable ASCII without spaces, 1–255 characters: a UUID, a ULID or the client's own scheme. */
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** What the record key and body hash are computed from (see the module comment). */
export interface IdempotentRequest {
  requestContext: { authorizer: { agency: string } };
  httpMethod: string;
  resource: string;
  headers: { 'idempotency-key': string };
  body: string;
}

export interface IdempotencyOptions {
  persistenceStore: BasePersistenceLayer;
  config: IdempotencyConfigOptions;
  /** Namespace of the records; stable across deployments (Powertools' default is the function name). */
  keyPrefix: string;
  /** A digest of the raw body under a secret the records never hold (module comment). */
  bodyDigest: (body: string) => Promise<string>;
}

/**
 * Runs a route's work at most once per (agency, method, path, Idempotency-Key) while its record
 * lasts: a repeat with the same body gets the first response again (none kept for an
 * AnswerNotRemembered: the repeat runs the work again); without the header → 400
 * `bad-request`; the same key with another body → 422 `idempotency-key-reused`; while the first
 * copy runs → 409. The work is given the key, to name what it makes after it (a record that is
 * lost lets the work run again, which must then meet what the first run made).
 */
export type IdempotentRunner = (
  event: APIGatewayProxyEvent,
  context: Context,
  work: (idempotencyKey: string) => Promise<APIGatewayProxyResult>,
) => Promise<APIGatewayProxyResult>;

export function idempotentRequests(options: IdempotencyOptions): IdempotentRunner {
  const run = makeIdempotent(
    async (
      request: IdempotentRequest,
      _context: Context,
      work: (idempotencyKey: string) => Promise<APIGatewayProxyResult>,
    ) => work(request.headers['idempotency-key']),
    {
      persistenceStore: options.persistenceStore,
      config: new IdempotencyConfig(options.config),
      keyPrefix: options.keyPrefix,
    },
  );
  return async (event, context, work) => {
    const key = header(event, IDEMPOTENCY_KEY);
    if (key === undefined || key === '') {
      throw new HttpProblem(
        'bad-request',
        `an ${IDEMPOTENCY_KEY} header is required on this request, found none; send a new unique key (e.g. a UUID) per operation and the same key when retrying it`,
      );
    }
    if (!KEY_FORMAT.test(key)) {
      throw new HttpProblem(
        'bad-request',
        `${IDEMPOTENCY_KEY} must be 1–255 printable ASCII characters without spaces, found ${key.length} characters`,
      );
    }
    const caller = authenticatedAgency(event);
    if (caller === undefined) {
      // The router authenticates agency routes first; reaching here without a caller is a wiring bug.
      throw new Error('idempotent request without an authenticated agency');
    }
    const request: IdempotentRequest = {
      requestContext: { authorizer: { agency: caller.agency } },
      httpMethod: event.httpMethod,
      resource: event.path,
      headers: { 'idempotency-key': key },
      // Base64 for binary bodies: still one string per byte sequence.
      body: await options.bodyDigest(event.body ?? '').catch((error: unknown) => {
        // Before the record and the work: a key service busy or unreachable leaves nothing done,
        // which the caller is told (the generic answer could only say the request may have run).
        if (!isDependencyUnavailable(error)) throw error;
        throw new HttpProblem(
          'dependency-unavailable',
          `the key that keeps this request's record could not be read now; nothing was done — send it again with the same ${IDEMPOTENCY_KEY}`,
        );
      }),
    };
    // Kept here: when its record cannot be released, Powertools throws that failure instead.
    let unremembered: APIGatewayProxyResult | undefined;
    const answering = async (idempotencyKey: string) => {
      try {
        return await work(idempotencyKey);
      } catch (error) {
        if (error instanceof AnswerNotRemembered) unremembered = error.response;
        throw error;
      }
    };
    try {
      return await run(request, context, answering);
    } catch (error) {
      // The work is done, its record released or not: its answer stands.
      if (unremembered !== undefined) return unremembered;
      throw idempotencyProblem(error);
    }
  };
}

function idempotencyProblem(error: unknown): unknown {
  if (error instanceof IdempotencyValidationError) {
    return new HttpProblem(
      'idempotency-key-reused',
      `this ${IDEMPOTENCY_KEY} was used before with another request body; use a new key for a new request`,
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new HttpProblem(
      'conflict',
      `a request with this ${IDEMPOTENCY_KEY} is still being processed; retry after it completes`,
    );
  }
  if (error instanceof IdempotencyPersistenceLayerError) {
    // Reached before the work (nothing done), or after it (done, its answer not remembered): which
    // is not known here, so the answer says what a repeat does rather than inviting one blindly.
    return new HttpProblem(
      'dependency-unavailable',
      `the idempotency records could not be reached, so this request may have been carried out all the same; send it again with the same ${IDEMPOTENCY_KEY}: an issue, re-issue or status change already carried out is answered as it was, and not made twice (a review step of an application already taken answers 409 naming the application's state, which GET /applications/{id} reads)`,
    );
  }
  return error;
}
