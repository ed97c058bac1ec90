import type { RouteSpec } from './route-spec.ts';

// The answers a route gives because of what it uses rather than what it does: the authenticator
// the router runs before it (agency-auth.ts, holder-auth.ts), the body it reads (request.ts, and
// the platform's request size limit), the idempotency layer it runs under (idempotency.ts).
// Derived from the route's entry in the route table, so the OpenAPI description declares each on
// every route that can answer it, and no route lists them by hand. Each reason names the problem
// type it is answered with. Every route that reads or writes a store also answers 503 when the
// store or key service is busy or cannot be reached (domain-problems.ts, by the AWS SDK's own
// error classes); that is declared on every route but /openapi.json, which reads nothing, and
// /health, which answers an unreachable store in its own report.

/** Status → why a route answers it, by what the route uses (see the module comment). */
export type CommonResponses = Record<number, string[]>;

/** Whether a route reads a request body: JSON by its schema, or raw bytes of the media types it names. */
export function takesBody(route: RouteSpec): boolean {
  return route.requestBody !== undefined || (route.requestMediaTypes?.length ?? 0) > 0;
}

export function commonResponses(route: RouteSpec): CommonResponses {
  const responses: CommonResponses = {};
  const add = (status: number, reason: string) => {
    responses[status] = [...(responses[status] ?? []), reason];
  };

  if (route.auth.kind === 'agency') {
    add(
      401,
      'The request signature is missing or does not verify (unauthorized; `check` names the failed check)',
    );
    if (route.auth.roles.length > 0) {
      add(403, `The agency lacks the ${route.auth.roles.join(' or ')} role (forbidden; \`check\` role)`);
    }
    add(
      503,
      'The request could not be authenticated now: the agency registry or the nonce table could not be reached; nothing was done, try again (dependency-unavailable)',
    );
  } else if (route.auth.kind === 'holder') {
    add(400, 'Authorization sent as more than one header line (bad-request, code REPEATED_HEADER)');
    add(
      401,
      'No access token, or one that is expired, not for this client or not an access token (unauthorized, with a Bearer challenge)',
    );
    add(
      503,
      "The identity provider's signing keys could not be fetched; nothing was done, try again (dependency-unavailable)",
    );
  }

  // /openapi.json reads nothing; /health reports an unreachable store in its own answer.
  if (route.path !== '/openapi.json' && route.path !== '/health') {
    add(
      503,
      'A store or key service the platform depends on is busy or cannot be reached (dependency-unavailable): a store that refused the write for load wrote nothing; otherwise the request may have been carried out — send it again with the same Idempotency-Key where the route takes one, else check first',
    );
  }

  if (takesBody(route)) add(413, 'A request body larger than the platform takes (payload-too-large)');
  if (route.requestBody) {
    add(
      400,
      'Malformed JSON, or a body that does not match its schema (bad-request, validation-failed); a member name twice in one object (bad-request, code DUPLICATE_MEMBER_NAME); a body that is not UTF-8 (bad-request, code BODY_NOT_UTF8) or nests too deeply to be read (bad-request, code BODY_TOO_DEEP); Content-Type sent as more than one header line (bad-request, code REPEATED_HEADER)',
    );
    add(
      415,
      'Not application/json (unsupported-media-type); or a charset other than utf-8 (code UNSUPPORTED_CHARSET)',
    );
  }

  if (route.query !== undefined) {
    add(400, 'A query parameter given more than once (bad-request, code REPEATED_PARAMETER)');
  } else if (!route.queryIgnored) {
    add(
      400,
      'Any query parameter: this route takes none (validation-failed; one given twice: bad-request, code REPEATED_PARAMETER)',
    );
  }

  if (route.idempotencyKey !== undefined) {
    add(
      400,
      'No Idempotency-Key, one sent as more than one header line (code REPEATED_HEADER), or one that is not 1–255 printable ASCII characters without spaces (bad-request)',
    );
    add(
      409,
      'A request with this Idempotency-Key is still being processed; retry after it completes (conflict)',
    );
    add(422, 'The Idempotency-Key was used before with another request body (idempotency-key-reused)');
    add(
      503,
      'The idempotency records could not be reached, so the request may have been carried out: send it again with the same Idempotency-Key (dependency-unavailable)',
    );
  }
  return responses;
}
