import { describe, expect, it } from 'vitest';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { mod37_36CheckChar } from '#core/identifiers/iso7064.ts';
import { buildLicenseId, licenseIdCheckChar, parseLicenseId } from '#core/identifiers/license-id.ts';
import {
  type Actor,
  canTransition,
  effectiveStatus,
  IllegalTransition,
  InvalidTransitionInput,
  isFinal,
  isInForce,
  nextVersion,
  ReasonRequired,
  reinstate,
  reissue,
  revoke,
  STORED_STATUSES,
  type StoredStatus,
  statusListValue,
  suspend,
  transition,
  VersionExhausted,
} from '#core/lifecycle.ts';
import { DEMO_TYPE_CODE, DEMO_USCC } from '#dev/demo/catalog.ts';

const issuer: Actor = { kind: 'agency', id: DEMO_USCC.publicSecurityBureau };
const at = '2025-06-01T08:30:00Z';
const licenseId = buildLicenseId({
  typeCode: DEMO_TYPE_CODE.residentIdentityCard,
  issuerCode: DEMO_USCC.publicSecurityBureau,
  serial: 'DEMO0000001',
  version: '001',
});

// The legal moves, written out independently of the module's own table.
const LEGAL: [StoredStatus, StoredStatus][] = [
  ['valid', 'suspended'],
  ['suspended', 'valid'],
  ['valid', 'revoked'],
  ['suspended', 'revoked'],
  ['valid', 'superseded'],
  ['suspended', 'superseded'],
];
const ILLEGAL = STORED_STATUSES.flatMap((from) =>
  STORED_STATUSES.map((to) => [from, to] as [StoredStatus, StoredStatus]),
).filter(([from, to]) => !LEGAL.some(([f, t]) => f === from && t === to));

describe('legal transitions', () => {
  it.each(LEGAL)('%s → %s records actor, time and reason', (from, to) => {
    const change = transition(from, to, { actor: issuer, at, reason: '  依申请  ' });
    expect(change).toMatchObject({ from, to, actor: issuer, at, reason: '依申请' });
    expect(canTransition(from, to)).toBe(true);
  });

  it('suspends (挂失) with a reason, recording a holder as actor', () => {
    const holder: Actor = { kind: 'holder', id: 'demo-holder-zhang' };
    expect(suspend('valid', { actor: holder, at, reason: '证件遗失' })).toEqual({
      action: 'suspend',
      from: 'valid',
      to: 'suspended',
      actor: holder,
      at,
      reason: '证件遗失',
    });
  });

  it('reinstates without a reason, recording none', () => {
    const change = reinstate('suspended', { actor: issuer, at });
    expect(change).toEqual({ action: 'reinstate', from: 'suspended', to: 'valid', actor: issuer, at });
    expect(change).not.toHaveProperty('reason');
  });

  it('revokes (吊销) from valid and from suspended', () => {
    expect(revoke('valid', { actor: issuer, at, reason: '吊销' }).to).toBe('revoked');
    expect(
      revoke('suspended', { actor: { kind: 'operator', id: 'ops-1' }, at, reason: '注销' }),
    ).toMatchObject({
      action: 'revoke',
      from: 'suspended',
      to: 'revoked',
      actor: { kind: 'operator', id: 'ops-1' },
    });
  });

  it('copies the actor, so a later change to the caller’s object does not rewrite history', () => {
    const actor: Actor = { kind: 'agency', id: 'A' };
    const change = suspend('valid', { actor, at, reason: 'r' });
    actor.id = 'B';
    expect(change.actor.id).toBe('A');
  });
});

describe('illegal transitions', () => {
  it.each(ILLEGAL)('%s → %s throws IllegalTransition naming both', (from, to) => {
    const thrown = thrownBy(() => transition(from, to, { actor: issuer, at, reason: 'r' }));
    expect(thrown).toBeInstanceOf(IllegalTransition);
    expect(thrown).toMatchObject({ code: 'ILLEGAL_TRANSITION', from, to });
    expect(canTransition(from, to)).toBe(false);
  });

  it('has exactly the final statuses revoked and superseded', () => {
    expect(STORED_STATUSES.filter(isFinal)).toEqual(['revoked', 'superseded']);
    expect(() => reinstate('revoked', { actor: issuer, at })).toThrow(
      /revoked license cannot become valid.*final/,
    );
  });

  it('refuses to re-issue a revoked or superseded license', () => {
    for (const status of ['revoked', 'superseded'] as const) {
      expect(() => reissue({ id: licenseId, status }, { actor: issuer, at })).toThrow(IllegalTransition);
    }
  });
});

describe('required input', () => {
  it('requires a reason to suspend and to revoke', () => {
    for (const reason of [undefined, '', '   ']) {
      expect(() => suspend('valid', { actor: issuer, at, reason })).toThrow(ReasonRequired);
      expect(() => revoke('valid', { actor: issuer, at, reason })).toThrow(ReasonRequired);
    }
    expect(thrownBy(() => revoke('valid', { actor: issuer, at }))).toMatchObject({
      code: 'REASON_REQUIRED',
      action: 'revoke',
    });
  });

  it('refuses a reason naming a citizen identity number, for any change', () => {
    const reason = '持证人 110105 19491231 002x 挂失';
    expect(() => suspend('valid', { actor: issuer, at, reason })).toThrow(IdentityNumberInText);
    expect(() => reinstate('suspended', { actor: issuer, at, reason })).toThrow(IdentityNumberInText);
    expect(() => reissue({ id: licenseId, status: 'valid' }, { actor: issuer, at, reason })).toThrow(
      IdentityNumberInText,
    );
  });

  it('requires an actor id and an RFC 3339 UTC time', () => {
    expect(() => suspend('valid', { actor: { kind: 'agency', id: ' ' }, at, reason: 'r' })).toThrow(
      InvalidTransitionInput,
    );
    for (const bad of [
      '2025-06-01',
      '2025-06-01T08:30:00+08:00',
      '2025-13-01T00:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-06-01T24:00:00Z',
      'yesterday',
    ]) {
      expect(() => suspend('valid', { actor: issuer, at: bad, reason: 'r' }), bad).toThrow(
        InvalidTransitionInput,
      );
    }
    expect(suspend('valid', { actor: issuer, at: '2025-06-01T08:30:00.123Z', reason: 'r' }).at).toBe(
      '2025-06-01T08:30:00.123Z',
    );
  });
});

describe('re-issue', () => {
  it('supersedes version 001 with version 002: same serial, a new valid check character', () => {
    const { change, newId, newVersion } = reissue(
      { id: licenseId, status: 'valid' },
      { actor: issuer, at, reason: '换领' },
    );
    expect(newVersion).toBe('002');
    const before = parseLicenseId(licenseId);
    const after = parseLicenseId(newId);
    if (!before.valid || !after.valid) throw new Error('expected both identifiers to parse');
    expect(after.parts).toMatchObject({
      typeCode: before.parts.typeCode,
      issuerCode: before.parts.issuerCode,
      serial: 'DEMO0000001',
      version: '002',
    });
    expect(after.parts.check).toBe(
      licenseIdCheckChar(
        `${DEMO_TYPE_CODE.residentIdentityCard}${DEMO_USCC.publicSecurityBureau}DEMO0000001002`,
      ),
    );
    expect(after.parts.check).not.toBe(before.parts.check);
    expect(change).toEqual({
      action: 'supersede',
      from: 'valid',
      to: 'superseded',
      actor: issuer,
      at,
      reason: '换领',
      supersededBy: newId,
    });
  });

  it('re-issues a suspended (reported lost) license directly (挂失 → 补领)', () => {
    const { change, newVersion } = reissue({ id: licenseId, status: 'suspended' }, { actor: issuer, at });
    expect(change).toMatchObject({ from: 'suspended', to: 'superseded' });
    expect(newVersion).toBe('002');
  });

  it('carries the version over decimal places: 009 → 010, 099 → 100', () => {
    const at9 = buildLicenseId({ ...parts(licenseId), version: '009' });
    expect(nextVersion(at9).newVersion).toBe('010');
    const at99 = buildLicenseId({ ...parts(licenseId), version: '099' });
    expect(nextVersion(at99).newVersion).toBe('100');
  });

  it('stops at version 999', () => {
    const last = buildLicenseId({ ...parts(licenseId), version: '999' });
    expect(() => reissue({ id: last, status: 'valid' }, { actor: issuer, at })).toThrow(VersionExhausted);
  });

  it('needs the issuer USCC to re-issue a license that names its issuer by a legacy area code', () => {
    const body = `${DEMO_TYPE_CODE.residentIdentityCard}330100DEMO7001`;
    const legacy = `1.2.156.3005.2.${DEMO_TYPE_CODE.residentIdentityCard}.330100.DEMO7.001.${mod37_36CheckChar(body)}`;
    expect(parseLicenseId(legacy)).toMatchObject({ valid: true, parts: { legacyIssuer: true } });
    expect(() => nextVersion(legacy)).toThrow(InvalidTransitionInput);
    const { newId } = nextVersion(legacy, DEMO_USCC.publicSecurityBureau);
    expect(parseLicenseId(newId)).toMatchObject({
      valid: true,
      parts: { issuerCode: DEMO_USCC.publicSecurityBureau, serial: 'DEMO7', version: '002' },
    });
  });

  it('refuses an issuer USCC that differs from the one in the identifier, and a malformed identifier', () => {
    expect(() => nextVersion(licenseId, DEMO_USCC.marketRegulationBureau)).toThrow(/was issued by/);
    expect(() => nextVersion(`${licenseId.slice(0, -1)}0`)).toThrow(InvalidTransitionInput);
  });
});

describe('effective status', () => {
  const until = { until: '2036-05-10' };

  it('is expired after the last valid day, not on it', () => {
    expect(effectiveStatus('valid', until, '2036-05-10')).toBe('valid');
    expect(effectiveStatus('valid', until, '2036-05-11')).toBe('expired');
  });

  it('never expires a long-term license or one without dates', () => {
    expect(effectiveStatus('valid', { until: 'long-term' }, '2999-12-31')).toBe('valid');
    expect(effectiveStatus('suspended', undefined, '2999-12-31')).toBe('suspended');
  });

  it('reports expired over suspended, and revoked or superseded over expired', () => {
    expect(effectiveStatus('suspended', until, '2036-05-11')).toBe('expired');
    expect(effectiveStatus('suspended', until, '2030-01-01')).toBe('suspended');
    expect(effectiveStatus('revoked', until, '2040-01-01')).toBe('revoked');
    expect(effectiveStatus('superseded', until, '2040-01-01')).toBe('superseded');
  });
});

describe('in force', () => {
  const renewal = { from: '2027-01-15', until: '2037-01-15' };

  it('is not in force before its first valid day (China time), though valid; from that day on it is', () => {
    expect(effectiveStatus('valid', renewal, '2027-01-14')).toBe('valid');
    expect(isInForce('valid', renewal, '2027-01-14')).toBe(false);
    expect(isInForce('valid', renewal, '2027-01-15')).toBe(true);
    expect(isInForce('valid', renewal, '2037-01-15')).toBe(true);
  });

  it('is never in force unless valid: suspended, expired, revoked or superseded', () => {
    expect(isInForce('suspended', renewal, '2030-01-01')).toBe(false);
    expect(isInForce('valid', renewal, '2037-01-16')).toBe(false);
    expect(isInForce('revoked', renewal, '2030-01-01')).toBe(false);
    expect(isInForce('superseded', renewal, '2030-01-01')).toBe(false);
    expect(isInForce('valid', { from: '2020-01-01', until: 'long-term' }, '2999-12-31')).toBe(true);
  });
});

describe('status list value', () => {
  it('maps valid to 0, revoked and superseded to 1, suspended to 2', () => {
    expect(Object.fromEntries(STORED_STATUSES.map((s) => [s, statusListValue(s)]))).toEqual({
      valid: 0,
      suspended: 2,
      revoked: 1,
      superseded: 1,
    });
  });
});

function parts(id: string) {
  const parsed = parseLicenseId(id);
  if (!parsed.valid) throw new Error(parsed.reason);
  const { typeCode, issuerCode, serial } = parsed.parts;
  return { typeCode, issuerCode, serial };
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}
