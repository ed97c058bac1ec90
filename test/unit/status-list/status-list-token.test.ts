import { getListFromStatusListJWT, StatusList as SdJwtStatusList } from '@sd-jwt/jwt-status-list';
import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import { base64url, decodeCompactJws, type JsonObject, signCompactJws } from '#core/jws.ts';
import { STATUS_INVALID, STATUS_SUSPENDED, StatusList } from '#core/status-list.ts';
import {
  type StatusListTokenCheck,
  signStatusListToken,
  verifyStatusListToken,
} from '#core/status-list-token.ts';

const uri = 'https://status.elicense.example/status-lists/2024-001';
const signer = new SoftwareEs256Signer('status-key-1');
const issuedAt = new Date('2025-03-01T08:00:00Z');
const expiresAt = new Date('2025-03-02T08:00:00Z');
const now = new Date('2025-03-01T12:00:00Z');

function sampleList(): StatusList {
  const list = StatusList.create(1000);
  list.set(17, STATUS_INVALID);
  list.set(503, STATUS_SUSPENDED);
  return list;
}

async function signed(): Promise<string> {
  return signStatusListToken({ uri, list: sampleList(), issuedAt, expiresAt, ttlSeconds: 3600 }, signer);
}

function failedChecks(jwt: string, options: Partial<Parameters<typeof verifyStatusListToken>[1]> = {}) {
  const result = verifyStatusListToken(jwt, { publicJwk: signer.publicJwk, uri, now, ...options });
  return result.ok ? [] : result.failures.map((f) => f.check);
}

/** Re-signs a token's header and payload after `edit`, with the genuine key: only the edited check fails. */
async function resigned(edit: (header: JsonObject, payload: JsonObject) => void): Promise<string> {
  const { header, payload } = decodeCompactJws(await signed());
  edit(header, payload);
  const { alg: _alg, kid: _kid, ...rest } = header;
  return signCompactJws(rest, payload, signer);
}

describe('signing a Status List Token', () => {
  it('carries typ statuslist+jwt and the sub, iat, exp, ttl and status_list claims', async () => {
    const { header, payload } = decodeCompactJws(await signed());
    expect(header).toEqual({ typ: 'statuslist+jwt', alg: 'ES256', kid: 'status-key-1' });
    expect(payload).toEqual({
      sub: uri,
      iat: 1740816000,
      exp: 1740902400,
      ttl: 3600,
      status_list: { bits: 2, lst: sampleList().toLst() },
    });
  });

  it('verifies and gives back the list entry for entry', async () => {
    const result = verifyStatusListToken(await signed(), { publicJwk: signer.publicJwk, uri, now });
    if (!result.ok) throw new Error(`expected ok, found ${JSON.stringify(result.failures)}`);
    expect(result.kid).toBe('status-key-1');
    expect(result.list.size).toBe(1000);
    expect([result.list.get(17), result.list.get(503), result.list.get(0), result.list.get(999)]).toEqual([
      1, 2, 0, 0,
    ]);
  });

  it('refuses to sign an exp that is not after iat, or a ttl that is not positive', async () => {
    const list = sampleList();
    await expect(
      signStatusListToken({ uri, list, issuedAt, expiresAt: issuedAt, ttlSeconds: 60 }, signer),
    ).rejects.toThrow(/expected exp after iat/);
    await expect(
      signStatusListToken({ uri, list, issuedAt, expiresAt, ttlSeconds: 0 }, signer),
    ).rejects.toThrow(/expected a positive ttl/);
  });
});

describe('verification names every failed check', () => {
  const cases: [string, () => Promise<string>, StatusListTokenCheck[]][] = [
    [
      'a payload edited after signing',
      async () => {
        const [h, , s] = (await signed()).split('.');
        const { payload } = decodeCompactJws(await signed());
        return `${h}.${base64url(JSON.stringify({ ...payload, status_list: { bits: 2, lst: StatusList.create(1000).toLst() } }))}.${s}`;
      },
      ['signature'],
    ],
    [
      'a signature by another key under the same kid',
      () =>
        signStatusListToken(
          { uri, list: sampleList(), issuedAt, expiresAt, ttlSeconds: 3600 },
          new SoftwareEs256Signer('status-key-1'),
        ),
      ['signature'],
    ],
    [
      'a token signed under another kid',
      () =>
        signStatusListToken(
          { uri, list: sampleList(), issuedAt, expiresAt, ttlSeconds: 3600 },
          new SoftwareEs256Signer('other-key'),
        ),
      ['kid', 'signature'],
    ],
    [
      'alg none with the signature stripped',
      async () => {
        const [, p] = (await signed()).split('.');
        return `${base64url(JSON.stringify({ alg: 'none', typ: 'statuslist+jwt', kid: 'status-key-1' }))}.${p}.`;
      },
      ['alg'],
    ],
    ['a wrong typ', () => resigned((h) => Object.assign(h, { typ: 'JWT' })), ['typ']],
    ['a sub for another list', () => resigned((_, p) => Object.assign(p, { sub: `${uri}-other` })), ['sub']],
    ['an iat in the future', () => resigned((_, p) => Object.assign(p, { iat: 1740830400 + 3600 })), ['iat']],
    ['an expired token', () => resigned((_, p) => Object.assign(p, { exp: 1740830400 - 120 })), ['exp']],
    ['a missing ttl', () => resigned((_, p) => delete p.ttl), ['ttl']],
    [
      'bits the draft does not allow',
      () => resigned((_, p) => Object.assign(p, { status_list: { bits: 3, lst: 'eNrbuRgAAhcBXQ' } })),
      ['status_list'],
    ],
    [
      'an lst that is not zlib',
      () => resigned((_, p) => Object.assign(p, { status_list: { bits: 2, lst: 'AAAA' } })),
      ['status_list'],
    ],
    ['not a JWS at all', async () => 'not-a-jws', ['format']],
  ];

  for (const [what, make, expected] of cases) {
    it(`names ${expected.join(' + ')} for ${what}`, async () => {
      expect(failedChecks(await make())).toEqual(expected);
    });
  }

  it('names several checks at once', async () => {
    const jwt = await resigned((h, p) => {
      h.typ = 'JWT';
      p.sub = 'https://elsewhere.example/list';
      p.exp = 1;
    });
    expect(failedChecks(jwt)).toEqual(['typ', 'sub', 'exp']);
  });

  it('says what it expected and what it found', async () => {
    const result = verifyStatusListToken(await signed(), {
      publicJwk: signer.publicJwk,
      uri: 'https://status.elicense.example/status-lists/other',
      now,
    });
    expect(result).toEqual({
      ok: false,
      failures: [
        { check: 'sub', expected: 'https://status.elicense.example/status-lists/other', found: uri },
      ],
    });
  });

  it('answers, rather than throws, for header and claims nested too deeply to print', async () => {
    // JSON.parse takes any depth; JSON.stringify runs out of stack at a few thousand levels, so
    // the header is written as text.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const [, p, s] = (await signed()).split('.');
    const jwt = `${base64url(`{"alg":${deep},"typ":${deep},"kid":"status-key-1"}`)}.${p}.${s}`;
    const result = verifyStatusListToken(jwt, { publicJwk: signer.publicJwk, uri, now });
    expect(result).toEqual({
      ok: false,
      failures: [
        { check: 'alg', expected: 'ES256', found: '<unprintable array>' },
        { check: 'typ', expected: 'statuslist+jwt', found: '<unprintable array>' },
      ],
    });
  });

  it('tolerates clock skew within the bound and not beyond', async () => {
    const jwt = await signed();
    const justExpired = new Date(expiresAt.getTime() + 30_000);
    expect(failedChecks(jwt, { now: justExpired })).toEqual([]);
    expect(failedChecks(jwt, { now: justExpired, maxSkewSeconds: 10 })).toEqual(['exp']);
    const beforeIssue = new Date(issuedAt.getTime() - 30_000);
    expect(failedChecks(jwt, { now: beforeIssue })).toEqual([]);
    expect(failedChecks(jwt, { now: beforeIssue, maxSkewSeconds: 10 })).toEqual(['iat']);
  });

  it('checks iss when the caller expects one', async () => {
    const jwt = await signStatusListToken(
      { uri, list: sampleList(), issuedAt, expiresAt, ttlSeconds: 60, iss: 'https://elicense.example' },
      signer,
    );
    expect(failedChecks(jwt, { iss: 'https://elicense.example' })).toEqual([]);
    expect(failedChecks(jwt, { iss: 'https://impostor.example' })).toEqual(['iss']);
  });
});

describe('interoperability with @sd-jwt/jwt-status-list', () => {
  const statuses = Array.from({ length: 1000 }, (_, i) => (i % 37 === 0 ? 1 : i % 101 === 0 ? 2 : 0));

  it('their reader gets every status of our signed token', async () => {
    const list = StatusList.create(statuses.length);
    statuses.forEach((status, i) => {
      list.set(i, status);
    });
    const jwt = await signStatusListToken({ uri, list, issuedAt, expiresAt, ttlSeconds: 60 }, signer);
    const theirs = getListFromStatusListJWT(jwt);
    expect(statuses.map((_, i) => theirs.getStatus(i))).toEqual(statuses);
  });

  it('our reader gets every status of their lst', () => {
    const theirs = new SdJwtStatusList(statuses, 2);
    const ours = StatusList.fromLst(theirs.compressStatusList(), 2, { size: statuses.length });
    expect(statuses.map((_, i) => ours.get(i))).toEqual(statuses);
  });
});
