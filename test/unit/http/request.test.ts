// Request bodies as the routes read them: JSON that is no Unicode text is refused for every route.

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpProblem } from '#http/problem.ts';
import { parseJsonBody } from '#http/request.ts';

const Schema = z.strictObject({ reason: z.string(), nested: z.record(z.string(), z.string()).optional() });

function event(body: string, isBase64Encoded = false): APIGatewayProxyEvent {
  return {
    body: isBase64Encoded ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  } as unknown as APIGatewayProxyEvent;
}

function problemOf(body: string, isBase64Encoded = false): HttpProblem {
  try {
    parseJsonBody(event(body, isBase64Encoded), Schema);
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe('parseJsonBody', () => {
  it('reads well-formed text, surrogate pairs (an emoji) included', () => {
    expect(parseJsonBody(event('{"reason":"挂失 \\ud83d\\ude00"}'), Schema)).toEqual({ reason: '挂失 😀' });
  });

  it('refuses a lone surrogate in a value, in a nested key, and in a base64-encoded body, naming where', () => {
    for (const [body, where] of [
      ['{"reason":"lost \\ud800"}', 'reason:'],
      ['{"reason":"x","nested":{"\\udc00":"y"}}', '(a member name):'],
      ['{"reason":"\\udfff tail"}', 'reason:'],
    ] as const) {
      const problem = problemOf(body);
      expect(problem.status).toBe(400);
      expect(problem.problemType).toBe('validation-failed');
      expect(problem.message).toContain('lone UTF-16 surrogate');
      expect(problem.message.startsWith(where)).toBe(true);
    }
    expect(problemOf('{"reason":"\\ud800"}', true).problemType).toBe('validation-failed');
  });

  it('still answers malformed JSON as a bad request', () => {
    expect(problemOf('{"reason":').problemType).toBe('bad-request');
  });
});
