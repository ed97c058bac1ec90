import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  PROBLEM_MEDIA_TYPE,
  PROBLEM_TYPE_BASE,
  type ProblemType,
  problemTypes,
} from '../../functions/http/problem.ts';

/** An answer API Gateway gives itself, before any function runs, as the problem it is. */
interface GatewayProblem {
  type: ProblemType;
  /** The status API Gateway answers with; absent for the defaults, which keep whatever it chose. */
  status?: number;
  detail: string;
}

/**
 * Answers API Gateway gives without a function — an unknown route, a body over its limit, the
 * usage plan's throttle and quota, a missing API key, the WAF's block, a function that failed or
 * timed out — as RFC 9457 problems like every other answer of the platform, instead of its own
 * `{"message": …}` (and an unknown route's 403 "Missing Authentication Token", which is a 404).
 * The detail never echoes the request.
 */
export const GATEWAY_PROBLEMS: ReadonlyMap<ResponseType, GatewayProblem> = new Map([
  [
    ResponseType.MISSING_AUTHENTICATION_TOKEN,
    { type: 'not-found', status: 404, detail: 'No route of the API has this method and path.' },
  ],
  [
    ResponseType.RESOURCE_NOT_FOUND,
    { type: 'not-found', status: 404, detail: 'No route of the API has this method and path.' },
  ],
  [
    ResponseType.REQUEST_TOO_LARGE,
    { type: 'payload-too-large', status: 413, detail: 'The request is larger than the API accepts.' },
  ],
  [
    ResponseType.UNSUPPORTED_MEDIA_TYPE,
    { type: 'unsupported-media-type', status: 415, detail: 'The API does not accept this media type.' },
  ],
  [
    ResponseType.THROTTLED,
    {
      type: 'rate-limited',
      status: 429,
      detail: "The caller's request rate is over its usage plan's limit; slow down and try again.",
    },
  ],
  [
    ResponseType.QUOTA_EXCEEDED,
    {
      type: 'rate-limited',
      status: 429,
      detail: "The caller's usage plan quota for the day (UTC) is used up.",
    },
  ],
  [
    ResponseType.INVALID_API_KEY,
    {
      type: 'forbidden',
      status: 403,
      detail: 'The x-api-key header is missing or names no key of this stage’s usage plan.',
    },
  ],
  [
    ResponseType.WAF_FILTERED,
    { type: 'forbidden', status: 403, detail: 'The web application firewall refused the request.' },
  ],
  [
    ResponseType.ACCESS_DENIED,
    { type: 'forbidden', status: 403, detail: 'The API’s resource policy refuses this caller.' },
  ],
  [
    ResponseType.INTEGRATION_TIMEOUT,
    {
      type: 'timeout',
      status: 504,
      detail: 'The platform did not answer in time; the request may have been carried out.',
    },
  ],
  [ResponseType.DEFAULT_4XX, { type: 'bad-request', detail: 'The API refused the request.' }],
  [
    ResponseType.DEFAULT_5XX,
    {
      type: 'internal-error',
      detail: 'The platform failed to handle the request; it may have been carried out.',
    },
  ],
]);

/**
 * The body of one gateway answer: a problem document with API Gateway's request id as
 * `requestId` (the id the access log and the function's logs carry). A template, not JSON built
 * here: API Gateway fills in `$context.requestId` per answer.
 */
export function gatewayProblemTemplate(problem: GatewayProblem): string {
  const document = {
    type: `${PROBLEM_TYPE_BASE}${problem.type}`,
    title: problemTypes[problem.type].title,
    ...(problem.status === undefined ? {} : { status: problem.status }),
    detail: problem.detail,
    requestId: '$context.requestId',
  };
  return JSON.stringify(document);
}

/** Gives `api` the platform's problem answers for everything API Gateway answers by itself. */
export function addGatewayProblems(api: RestApi): void {
  for (const [type, problem] of GATEWAY_PROBLEMS) {
    api.addGatewayResponse(`Problem${type.responseType}`, {
      type,
      ...(problem.status === undefined ? {} : { statusCode: String(problem.status) }),
      responseHeaders: {
        'Content-Type': `'${PROBLEM_MEDIA_TYPE}'`,
        'Cache-Control': "'no-store'",
      },
      templates: { 'application/json': gatewayProblemTemplate(problem) },
    });
  }
}
