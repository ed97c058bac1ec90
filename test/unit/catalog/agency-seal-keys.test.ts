import { describe, expect, it } from 'vitest';
import {
  type Agency,
  AgencySchema,
  sealKeysOf,
  sealKeyWithKid,
  withSealKeyWithdrawn,
} from '#core/catalog/agency.ts';
import {
  SealKeyAlreadyWithdrawn,
  SealKeyNotFound,
  SealKeyReplacementRequired,
} from '#core/catalog/registration-errors.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';

// An agency keeps the seal keys rotation replaced, so the licenses they signed still verify.
const issuer: Agency = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.publicSecurityBureau)!;
const rotated: Agency = {
  ...issuer,
  sealKey: { keyRef: 'local:seal/new', kid: 'new-kid' },
  previousSealKeys: [
    { keyRef: 'local:seal/old', kid: 'old-kid' },
    { keyRef: 'local:seal/older', kid: 'older-kid' },
  ],
};

function issuesOf(agency: unknown): string[] {
  const result = AgencySchema.safeParse(agency);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('an agency’s seal keys', () => {
  it('lists the current key first, then the replaced ones newest first', () => {
    expect(sealKeysOf(rotated).map((s) => s.kid)).toEqual(['new-kid', 'old-kid', 'older-kid']);
    expect(sealKeysOf({})).toEqual([]);
  });

  it('finds a current or a replaced key by kid, and nothing for another kid', () => {
    expect(sealKeyWithKid(rotated, 'new-kid')?.keyRef).toBe('local:seal/new');
    expect(sealKeyWithKid(rotated, 'older-kid')?.keyRef).toBe('local:seal/older');
    expect(sealKeyWithKid(rotated, 'missing')).toBeUndefined();
  });

  it('accepts an agency with replaced keys, and one that never rotated', () => {
    expect(issuesOf(rotated)).toEqual([]);
    expect(issuesOf(issuer)).toEqual([]);
  });

  it('refuses two seal keys with one kid or one key reference', () => {
    const sameKid = { ...rotated, previousSealKeys: [{ keyRef: 'local:seal/old', kid: 'new-kid' }] };
    expect(issuesOf(sameKid)).toEqual(['previousSealKeys: seal key kids must be distinct']);
    const sameRef = { ...rotated, previousSealKeys: [{ keyRef: 'local:seal/new', kid: 'old-kid' }] };
    expect(issuesOf(sameRef)).toEqual(['previousSealKeys: seal key references must be distinct']);
  });

  it('refuses replaced keys without a current key that replaced them', () => {
    const relying: Agency = DEMO_AGENCIES.find((a) => a.uscc === DEMO_USCC.housingProvidentFundCentre)!;
    const orphan = { ...relying, previousSealKeys: [{ keyRef: 'local:seal/old', kid: 'old-kid' }] };
    expect(issuesOf(orphan)).toEqual([
      'previousSealKeys: previous seal keys need a current seal key that replaced them',
    ]);
  });
});

describe('withdrawing a seal key', () => {
  const withdrawal = {
    at: '2026-03-01T08:00:00.000Z',
    reason: '密钥泄露',
    operator: DEMO_USCC.platformOperator,
  };
  const replacement = { keyRef: 'local:seal/newest', kid: 'newest-kid' };

  it('marks a replaced key withdrawn where it stands, leaving the current key', () => {
    const withdrawn = withSealKeyWithdrawn(rotated, 'older-kid', withdrawal);
    expect(withdrawn.sealKey).toEqual(rotated.sealKey);
    expect(withdrawn.previousSealKeys).toEqual([
      { keyRef: 'local:seal/old', kid: 'old-kid' },
      { keyRef: 'local:seal/older', kid: 'older-kid', withdrawn: withdrawal },
    ]);
    expect(issuesOf(withdrawn)).toEqual([]);
  });

  it('replaces the current key and puts the withdrawn one first among the previous keys', () => {
    const withdrawn = withSealKeyWithdrawn(rotated, 'new-kid', withdrawal, replacement);
    expect(sealKeysOf(withdrawn).map((s) => [s.kid, s.withdrawn !== undefined])).toEqual([
      ['newest-kid', false],
      ['new-kid', true],
      ['old-kid', false],
      ['older-kid', false],
    ]);
    expect(issuesOf(withdrawn)).toEqual([]);
  });

  it('refuses a kid never held, a key withdrawn already, and the current key with no replacement', () => {
    expect(() => withSealKeyWithdrawn(rotated, 'missing', withdrawal)).toThrow(SealKeyNotFound);
    const once = withSealKeyWithdrawn(rotated, 'old-kid', withdrawal);
    expect(() => withSealKeyWithdrawn(once, 'old-kid', withdrawal)).toThrow(SealKeyAlreadyWithdrawn);
    expect(() => withSealKeyWithdrawn(rotated, 'new-kid', withdrawal)).toThrow(SealKeyReplacementRequired);
  });

  it('refuses a record whose current key is withdrawn, or a withdrawal without a reason', () => {
    expect(issuesOf({ ...rotated, sealKey: { ...rotated.sealKey, withdrawn: withdrawal } })).toEqual([
      'sealKey.withdrawn: the current seal key cannot be withdrawn: a withdrawal replaces it',
    ]);
    const noReason = {
      ...rotated,
      previousSealKeys: [{ keyRef: 'x', kid: 'y', withdrawn: { ...withdrawal, reason: ' ' } }],
    };
    expect(issuesOf(noReason)).toEqual([
      'previousSealKeys.0.withdrawn.reason: Too small: expected string to have >=1 characters',
    ]);
  });
});
