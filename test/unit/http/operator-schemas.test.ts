// The operator group's request schemas: text kept for good in the catalog or the audit log refuses
// control characters (the stored records' schemas do not, so that records stored before still read).
import { describe, expect, it } from 'vitest';
import { AgencySchema, SealKeyWithdrawalReasonSchema } from '#core/catalog/agency.ts';
import { DEMO_AGENCIES, DEMO_USCC } from '#dev/demo/catalog.ts';
import {
  RegisterAgencyRequestSchema,
  UnblockIdentityProofingRequestSchema,
  UpdateAgencyRequestSchema,
  WithdrawSealKeyRequestSchema,
} from '#http/schemas/operator.ts';

const issues = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => result.error?.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`) ?? [];

/** By name: the characters themselves would steer the test report. */
const STEERING = [
  ['NUL', '\u0000'],
  ['ESC', '\u001b[2J'],
  ['RLO (U+202E)', '\u202E'],
  ['LINE SEPARATOR', '\u2028'],
] as const;

describe('agency requests', () => {
  const registration = {
    uscc: DEMO_USCC.publicSecurityBureau,
    name: '演示公安局',
    roles: ['issuer'],
    areaCode: '330100',
  };
  const update = { name: '演示公安局', roles: ['issuer'], areaCode: '330100' };

  it.each(STEERING)('refuse a name holding %s, naming it', (_, control) => {
    const name = `演示${control}公安局`;
    expect(issues(RegisterAgencyRequestSchema.safeParse({ ...registration, name }))).toEqual([
      'name: expected text without control characters',
    ]);
    expect(issues(UpdateAgencyRequestSchema.safeParse({ ...update, name }))).toEqual([
      'name: expected text without control characters',
    ]);
  });

  it('accept every demo agency name, while a stored agency with a control character still reads', () => {
    for (const agency of DEMO_AGENCIES) {
      expect(issues(UpdateAgencyRequestSchema.safeParse({ ...update, name: agency.name }))).toEqual([]);
    }
    const stored = { ...DEMO_AGENCIES[0]!, name: 'Old\u0000name' };
    expect(AgencySchema.safeParse(stored).success).toBe(true);
  });
});

describe('UnblockIdentityProofingRequest', () => {
  const identity = { codeType: '111', code: '330102199003071230' };

  it.each(STEERING)('refuses a reason holding %s, naming it', (_, control) => {
    const reason = `holder appeared in person${control} at the counter`;
    expect(issues(UnblockIdentityProofingRequestSchema.safeParse({ identity, reason }))).toEqual([
      'reason: expected text without control characters',
    ]);
  });

  it('accepts a reason of plain text, trimmed', () => {
    const parsed = UnblockIdentityProofingRequestSchema.parse({ identity, reason: ' 本人到窗口核验身份\n' });
    expect(parsed.reason).toBe('本人到窗口核验身份');
  });
});

describe('WithdrawSealKeyRequest', () => {
  it.each(STEERING)('refuses a reason holding %s, naming it', (_, control) => {
    const reason = `密钥泄露${control}（事件 SEC-2026-014）`;
    expect(issues(WithdrawSealKeyRequestSchema.safeParse({ reason }))).toEqual([
      'reason: expected text without control characters',
    ]);
  });

  it('accepts a reason of plain text, trimmed, while a stored withdrawal with a control character still reads', () => {
    expect(WithdrawSealKeyRequestSchema.parse({ reason: ' 密钥泄露（事件 SEC-2026-014）\n' }).reason).toBe(
      '密钥泄露（事件 SEC-2026-014）',
    );
    expect(SealKeyWithdrawalReasonSchema.safeParse('Old\u0000reason').success).toBe(true);
  });
});
