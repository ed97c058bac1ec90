import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { type Grant, GrantSchema, grantUnusableReason } from '#core/grants/grant.ts';
import { grantCodeHash, isGrantCodeShape, newGrantCode } from '#core/grants/grant-code.ts';
import { DEMO_USCC } from '#dev/demo/catalog.ts';

const grant: Grant = {
  id: 'c6a5e8b2-0d51-4f5e-9d7a-2f8f0f9b7c11',
  scope: {
    kind: 'license',
    licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001',
  },
  relyingAgency: DEMO_USCC.housingProvidentFundCentre,
  holderIndex: createHash('sha256').update('zhang').digest('base64url'),
  purpose: '住房公积金提取核验身份',
  fields: ['姓名'],
  expiresAt: '2025-03-08T08:00:00.000Z',
  maxUses: 2,
  uses: 0,
  status: 'active',
  created: '2025-03-01T08:00:00.000Z',
};

const pathsOf = (value: unknown) =>
  GrantSchema.safeParse(value).error?.issues.map((issue) => issue.path.join('.')) ?? [];

describe('GrantSchema', () => {
  test('accepts a well-formed grant', () => {
    expect(pathsOf(grant)).toEqual([]);
  });

  test('refuses times that are not fixed-width UTC with milliseconds, which would compare wrongly as text', () => {
    expect(pathsOf({ ...grant, expiresAt: '2025-03-08T08:00:00Z' })).toEqual(['expiresAt']);
    expect(pathsOf({ ...grant, created: '2025-03-01T16:00:00.000+08:00' })).toEqual(['created']);
  });

  test('refuses more uses than allowed, an expiry before creation and a revoked grant without its time', () => {
    expect(pathsOf({ ...grant, uses: 3 })).toEqual(['uses']);
    expect(pathsOf({ ...grant, expiresAt: '2025-03-01T07:59:59.999Z' })).toEqual(['expiresAt']);
    expect(pathsOf({ ...grant, status: 'revoked' })).toEqual(['revoked']);
    expect(pathsOf({ ...grant, revoked: '2025-03-02T00:00:00.000Z' })).toEqual(['revoked']);
  });

  test('refuses unknown members rather than dropping them', () => {
    expect(pathsOf({ ...grant, codeHash: 'x' })).toEqual(['']);
  });
});

describe('grantUnusableReason', () => {
  const now = new Date('2025-03-02T00:00:00.000Z');
  test('names revoked, expired and exhausted grants, and nothing for a usable one', () => {
    expect(grantUnusableReason(grant, now)).toBeUndefined();
    expect(
      grantUnusableReason({ ...grant, status: 'revoked', revoked: '2025-03-01T09:00:00.000Z' }, now),
    ).toBe('revoked');
    expect(grantUnusableReason(grant, new Date('2025-03-08T08:00:00.000Z'))).toBe('expired');
    expect(grantUnusableReason({ ...grant, uses: 2 }, now)).toBe('exhausted');
  });
});

describe('authorisation codes', () => {
  test('are 32 random bytes in 43 base64url characters, all different', () => {
    const codes = Array.from({ length: 100 }, newGrantCode);
    expect(new Set(codes).size).toBe(100);
    for (const code of codes) {
      expect(isGrantCodeShape(code)).toBe(true);
      expect(Buffer.from(code, 'base64url')).toHaveLength(32);
    }
  });

  test('hash to the base64url SHA-256 of their text', () => {
    const code = newGrantCode();
    expect(grantCodeHash(code)).toBe(createHash('sha256').update(code, 'utf8').digest('base64url'));
    expect(isGrantCodeShape(`${code}=`)).toBe(false);
    expect(isGrantCodeShape(code.slice(1))).toBe(false);
  });
});
