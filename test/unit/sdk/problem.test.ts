// answerOf turns every answer into the JSON of a 2xx or a PlatformProblemError — also the answers
// that are not the platform's problem+json: API Gateway's own errors, proxies' pages, null.
import { describe, expect, test } from 'vitest';
import { answerOf, PlatformProblemError, UnexpectedAnswerError } from '../../../sdk/problem.ts';

const refusal = (status: number, body: string | null, headers: Record<string, string> = {}) =>
  answerOf(new Response(body, { status, headers })).catch((e: unknown) => e);

describe('answerOf', () => {
  test('an API Gateway error body becomes an about:blank problem with its status and message', async () => {
    const error = await refusal(429, '{"message":"Too Many Requests"}', {
      'content-type': 'application/json',
    });
    expect(error).toBeInstanceOf(PlatformProblemError);
    expect(error).toMatchObject({
      status: 429,
      problem: { type: 'about:blank', status: 429, detail: 'Too Many Requests' },
      message: '429 about:blank: Too Many Requests',
    });
    expect(await refusal(403, '{"message":"Forbidden"}')).toMatchObject({
      status: 403,
      problem: { type: 'about:blank', status: 403, detail: 'Forbidden' },
    });
  });

  test.each([
    ['null', 'null'],
    ['a JSON string', '"timeout"'],
    ['an array', '[1]'],
    ['an HTML page', '<html>Bad Gateway</html>'],
    ['nothing', ''],
  ])('an error answered with %s is an about:blank problem with the text as detail', async (_, body) => {
    const error = await refusal(502, body);
    expect(error).toBeInstanceOf(PlatformProblemError);
    expect((error as PlatformProblemError).problem).toMatchObject({ type: 'about:blank', status: 502 });
    expect((error as PlatformProblemError).problem.detail ?? '').toBe(body);
    expect((error as Error).message).toMatch(/^502 about:blank: /);
    expect((error as Error).message).not.toContain('undefined');
  });

  test('the platform’s problem is kept as it is', async () => {
    const problem = {
      type: 'urn:elicense:problem:conflict',
      title: 'Conflict',
      status: 409,
      code: 'LICENSE_REVOKED',
      detail: 'revoked',
    };
    expect(await refusal(409, JSON.stringify(problem))).toMatchObject({ status: 409, problem });
  });

  test('a problem without status or title, as API Gateway’s default 4XX and 5XX answer, takes the answer’s', async () => {
    const gateway5xx = {
      type: 'urn:elicense:problem:internal-error',
      title: 'Internal Server Error',
      detail: 'The platform failed to handle the request; it may have been carried out.',
      requestId: 'r-1',
    };
    expect(await refusal(502, JSON.stringify(gateway5xx))).toMatchObject({
      status: 502,
      problem: { ...gateway5xx, status: 502 },
    });
    const untitled = await refusal(413, '{"type":"urn:elicense:problem:bad-request"}');
    expect((untitled as PlatformProblemError).problem).toEqual({
      type: 'urn:elicense:problem:bad-request',
      title: 'Payload Too Large',
      status: 413,
    });
  });

  test('a 2xx without a JSON body is a clear UnexpectedAnswerError, not a SyntaxError', async () => {
    for (const [status, body] of [
      [200, ''],
      [200, '<html>ok</html>'],
      [204, null],
    ] as const) {
      const error = await answerOf(new Response(body, { status })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnexpectedAnswerError);
      expect(error).toMatchObject({ status });
      expect((error as Error).message).toContain(`${status}`);
    }
  });
});
