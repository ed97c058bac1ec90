// Requests as the routes read them: header fields, and JSON bodies (JSON that is no Unicode text
// is refused for every route).

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toProxyEvent } from '#dev/api-gateway-event.ts';
import { HttpProblem } from '#http/problem.ts';
import { asksNoCache, header, ifMatch, parseJsonBody } from '#http/request.ts';

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

  it('refuses a body that is not UTF-8: stray bytes base64-encoded, or already read as U+FFFD', () => {
    const invalid = Buffer.concat([
      Buffer.from('{"reason":"挂失'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const asBase64 = {
      ...event(''),
      body: invalid.toString('base64'),
      isBase64Encoded: true,
    } as APIGatewayProxyEvent;
    for (const refused of [asBase64, event(invalid.toString('utf8')), event('{"reason":"\uFFFD"}')]) {
      let problem: HttpProblem | undefined;
      try {
        parseJsonBody(refused, Schema);
      } catch (error) {
        problem = error as HttpProblem;
      }
      expect(problem?.status).toBe(400);
      expect(problem?.extensions).toMatchObject({ code: 'BODY_NOT_UTF8' });
    }
    // U+FFFD meant as text, sent escaped, is text like any other; so is valid UTF-8 base64-encoded.
    expect(parseJsonBody(event('{"reason":"\\ufffd"}'), Schema)).toEqual({ reason: '\uFFFD' });
    expect(parseJsonBody(event('{"reason":"挂失"}', true), Schema)).toEqual({ reason: '挂失' });
  });

  it('answers a body nested too deeply for the parser as such, not with the engine’s stack overflow', () => {
    const deep = `{"reason":"x","nested":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const problem = problemOf(deep);
    expect(problem.status).toBe(400);
    expect(problem.extensions).toMatchObject({ code: 'BODY_TOO_DEEP' });
    expect(problem.message).not.toContain('call stack');
  });

  it('still answers malformed JSON as a bad request', () => {
    expect(problemOf('{"reason":').problemType).toBe('bad-request');
  });
});

/** The event API Gateway (here, the local platform's) makes of these header lines, as sent. */
function sent(lines: [string, string][], body = '{"reason":"x"}'): APIGatewayProxyEvent {
  return toProxyEvent(
    {
      method: 'POST',
      url: new URL('http://127.0.0.1:3000/licenses'),
      rawHeaders: lines.flat(),
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    '/licenses',
    {},
    'local',
  );
}

function refused(read: () => unknown): HttpProblem {
  try {
    read();
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('header', () => {
  it('reads a field by name whatever its case, every line of it', () => {
    const event = sent([
      ['Accept', 'application/json'],
      ['accept', 'text/plain'],
      ['X-Note', 'a'],
    ]);
    expect(header(event, 'ACCEPT')).toBe('application/json, text/plain');
    expect(header(event, 'x-note')).toBe('a');
    expect(header(event, 'if-match')).toBeUndefined();
  });

  it('reads an event that carries headers only (no multiValueHeaders)', () => {
    expect(header(event('{}'), 'content-type')).toBe('application/json; charset=utf-8');
  });

  // What the agency signs is every line joined (RFC 9421 §2.1); what the route acts on must be
  // the same, so a field that names one value is refused when it comes as several lines.
  it.each([
    ['Idempotency-Key', 'Idempotency-Key'],
    ['Content-Type', 'content-type'],
    ['If-Match', 'IF-MATCH'],
    ['Authorization', 'authorization'],
  ])(
    'refuses %s sent twice (also when the names differ in case) with 400 REPEATED_HEADER',
    (first, second) => {
      for (const names of [
        [first, first],
        [first, second],
      ]) {
        const problem = refused(() =>
          header(
            sent([
              [names[0]!, 'a'],
              [names[1]!, 'b'],
            ]),
            first,
          ),
        );
        expect(problem.status).toBe(400);
        expect(problem.problemType).toBe('bad-request');
        expect(problem.extensions).toEqual({ code: 'REPEATED_HEADER', header: first.toLowerCase() });
        expect(problem.message).toContain(`${first} sent 2 times`);
      }
    },
  );

  it('refuses a body whose Content-Type comes twice, whichever line names JSON', () => {
    for (const types of [
      ['text/plain', 'application/json'],
      ['application/json', 'text/plain'],
    ]) {
      const problem = refused(() =>
        parseJsonBody(
          sent([
            ['Content-Type', types[0]!],
            ['Content-Type', types[1]!],
          ]),
          Schema,
        ),
      );
      expect(problem.extensions.code).toBe('REPEATED_HEADER');
    }
    expect(parseJsonBody(sent([['Content-Type', 'application/json']]), Schema)).toEqual({ reason: 'x' });
  });

  it('refuses an If-Match sent twice rather than taking either version', () => {
    const event = sent([
      ['If-Match', '"3"'],
      ['If-Match', '"4"'],
    ]);
    expect(refused(() => ifMatch(event, true)).extensions.code).toBe('REPEATED_HEADER');
    expect(ifMatch(sent([['if-match', '"4"']]), true)).toBe(4);
  });
});

describe('asksNoCache', () => {
  it('is true for a no-cache directive of Cache-Control, or Pragma: no-cache, however written', () => {
    for (const lines of [
      [['Cache-Control', 'no-cache']],
      [['cache-control', 'max-age=0, No-Cache']],
      [
        ['Cache-Control', 'no-store'],
        ['Cache-Control', ' no-cache '],
      ],
      [['Cache-Control', 'no-cache="set-cookie"']],
      [['Pragma', 'no-cache']],
    ] as [string, string][][]) {
      expect(asksNoCache(sent(lines)), JSON.stringify(lines)).toBe(true);
    }
  });

  it('is false without one', () => {
    for (const lines of [
      [],
      [['Cache-Control', 'max-age=0']],
      [['Cache-Control', 'no-cachex, no-store']],
      [['X-No-Cache', 'no-cache']],
    ] as [string, string][][]) {
      expect(asksNoCache(sent(lines)), JSON.stringify(lines)).toBe(false);
    }
  });
});

describe('the media type of a JSON body', () => {
  const typed = (contentType: string) => sent([['Content-Type', contentType]]);

  it.each([
    'application/json',
    'application/json;charset=UTF-8',
    'Application/JSON ; charset="utf-8"',
    'application/json; charset=utf-8; charset=UTF-8',
    // UTF-8 by another of its WHATWG labels.
    'application/json; charset=utf8',
    'application/json; charset="Unicode-1-1-UTF-8"',
    'application/json; profile="x"',
    // A parameter whose quoted value reads like a charset is no charset.
    'application/json; note="a;charset=utf-16"',
  ])('accepts %s', (contentType) => {
    expect(parseJsonBody(typed(contentType), Schema)).toEqual({ reason: 'x' });
  });

  it.each([
    'application/json; charset=utf-16',
    'application/json; Charset="UTF-16LE"',
    'application/json; charset=iso-8859-1',
    'application/json; charset="utf\\-16"',
    'application/json; charset=utf-8; charset=utf-16',
    'application/json; charset=utf-16; charset=utf-8',
  ])('refuses %s with 415 UNSUPPORTED_CHARSET', (contentType) => {
    const problem = refused(() => parseJsonBody(typed(contentType), Schema));
    expect(problem.status).toBe(415);
    expect(problem.problemType).toBe('unsupported-media-type');
    expect(problem.extensions).toEqual({ code: 'UNSUPPORTED_CHARSET' });
    expect(problem.message).toMatch(/expected UTF-8 .*found charset /);
  });

  it.each([
    'application/json; charset',
    'application/json; charset="utf-8',
    'application/json; charset=utf-8 x',
    'application/json; =utf-8',
  ])('refuses parameters it cannot read (%s) with 415', (contentType) => {
    const problem = refused(() => parseJsonBody(typed(contentType), Schema));
    expect(problem.status).toBe(415);
    expect(problem.message).toContain('parameters');
  });
});

// I-JSON (RFC 7493 §2.3): a member name twice in one object is read as its last value here and as
// its first by other parsers, so a signed body could mean one thing to the platform and another to
// whoever else reads the same bytes.
describe('duplicate member names', () => {
  const Open = z.unknown();

  it.each([
    ['at the top', '{"typeCode":12,"typeCode":"11100000000013338W032"}', 'typeCode'],
    ['in a nested object', '{"data":{"姓名":"张三","x":[1,{"y":2}],"姓名":"李四"}}', '姓名'],
    ['in an object inside an array', '{"items":[{"a":1},{"b":1,"c":2,"b":3}]}', 'b'],
    ['spelt with an escape', '{"a":1,"\\u0061":2}', 'a'],
    ['after strings holding quotes, braces and backslashes', '{"a":"x\\"}{,\\\\","b":"\\\\","a":1}', 'a'],
  ])('are refused %s with 400 DUPLICATE_MEMBER_NAME', (_, body, name) => {
    const problem = refused(() => parseJsonBody(event(body), Open));
    expect(problem.status).toBe(400);
    expect(problem.problemType).toBe('bad-request');
    expect(problem.extensions).toEqual({ code: 'DUPLICATE_MEMBER_NAME' });
    expect(problem.message).toContain(`"${name}"`);
  });

  it.each([
    ['the same name in sibling and nested objects', '{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{}}}'],
    ['a value equal to a name', '{"a":"a","b":["a","b"],"c":"b"}'],
    ['names that differ only by an escaped backslash', '{"a\\\\":1,"a":2}'],
    ['arrays and scalars at the top', '[{"a":1},{"a":2}]'],
  ])('leave %s alone', (_, body) => {
    expect(parseJsonBody(event(body), Open)).toEqual(JSON.parse(body));
  });
});
