// The retrieval group's request schemas: what a request must name, and what it may not carry.
import { describe, expect, it } from 'vitest';
import { HolderGrantRequestSchema, RevokeGrantRequestSchema } from '#http/schemas/holder-grants.ts';
import { RetrievalRequestSchema } from '#http/schemas/retrieval.ts';

const LICENSE_ID = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001.001.Q';
const TYPE_CODE = '11100000D00000013G001';
const HOLDER = { codeType: '111', code: '330102199003071230' };
const duty = { serviceItemCode: 'DEMO330100GJJTQ001', caseNumber: 'GJJTQ-2025-000123', operatorId: 'op-7' };
const grant = { code: 'A'.repeat(43) };

const messages = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => result.error?.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`) ?? [];

describe('RetrievalRequest', () => {
  it('accepts a license id on either basis, a holder with a type on a duty basis, a type alone under a grant', () => {
    expect(RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID, basis: { grant } }).success).toBe(true);
    expect(RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID, basis: { duty } }).success).toBe(true);
    expect(RetrievalRequestSchema.safeParse({ typeCode: TYPE_CODE, basis: { grant } }).success).toBe(true);
    expect(
      RetrievalRequestSchema.safeParse({
        holder: HOLDER,
        typeCode: TYPE_CODE,
        basis: { duty },
        purpose: '核验',
      }).success,
    ).toBe(true);
  });

  it('refuses a request without a basis, or with both bases', () => {
    expect(messages(RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID }))).toEqual([
      expect.stringMatching(/^basis: /),
    ]);
    expect(RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID, basis: { grant, duty } }).success).toBe(
      false,
    );
  });

  it('refuses naming the license both ways, neither way, or a holder without a type', () => {
    const both = RetrievalRequestSchema.safeParse({
      licenseId: LICENSE_ID,
      holder: HOLDER,
      typeCode: TYPE_CODE,
      basis: { grant },
    });
    const neither = RetrievalRequestSchema.safeParse({ basis: { grant } });
    const holderOnly = RetrievalRequestSchema.safeParse({ holder: HOLDER, basis: { duty } });
    const typeOnDuty = RetrievalRequestSchema.safeParse({ typeCode: TYPE_CODE, basis: { duty } });

    expect(messages(both)).toEqual([expect.stringContaining('exactly one of the two')]);
    expect(messages(neither)).toEqual([expect.stringContaining('exactly one of the two')]);
    expect(messages(holderOnly)).toEqual(['typeCode: a retrieval by holder names the typeCode too']);
    expect(messages(typeOnDuty)).toEqual([
      'holder: a duty-based retrieval by type names the holder too (under a grant, the grant names its holder)',
    ]);
  });

  it('refuses a holder named under a grant, with a type or without: the grant names its own', () => {
    for (const request of [
      { holder: HOLDER, typeCode: TYPE_CODE, basis: { grant } },
      { holder: HOLDER, basis: { grant } },
    ]) {
      expect(messages(RetrievalRequestSchema.safeParse(request))).toEqual([
        'holder: a retrieval under a grant names no holder — the grant names its own: name the license by licenseId, or by typeCode alone',
      ]);
    }
  });

  it('requires a case number and an operator id on a duty basis, not blank', () => {
    const { caseNumber: _c, ...noCase } = duty;
    expect(RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID, basis: { duty: noCase } }).success).toBe(
      false,
    );
    expect(
      messages(
        RetrievalRequestSchema.safeParse({
          licenseId: LICENSE_ID,
          basis: { duty: { ...duty, operatorId: '  ' } },
        }),
      ),
    ).toEqual(['basis.duty.operatorId: a duty-based retrieval names its operator']);
    expect(
      RetrievalRequestSchema.safeParse({
        licenseId: LICENSE_ID,
        basis: { duty: { ...duty, caseNumber: 'A\nB' } },
      }).success,
    ).toBe(false);
  });

  it('refuses unknown fields and a citizen identity number with a wrong check character', () => {
    expect(
      RetrievalRequestSchema.safeParse({ licenseId: LICENSE_ID, basis: { grant }, fields: ['姓名'] }).success,
    ).toBe(false);
    const typo = RetrievalRequestSchema.safeParse({
      holder: { codeType: '111', code: '330102199003071231' },
      typeCode: TYPE_CODE,
      basis: { duty },
    });
    expect(messages(typo)).toEqual([expect.stringMatching(/^holder\.code: .*check/)]);
  });
});

describe('HolderGrantRequest', () => {
  const request = {
    scope: { licenseId: LICENSE_ID },
    relyingAgency: '12330100D000001448',
    purpose: '办理住房公积金提取',
    fields: ['姓名'],
    expiresAt: '2025-06-08T10:00:00+08:00',
    maxUses: 3,
  };

  it('accepts a license or a type scope, with an expiry in any RFC 3339 offset', () => {
    expect(HolderGrantRequestSchema.safeParse(request).success).toBe(true);
    expect(HolderGrantRequestSchema.safeParse({ ...request, scope: { typeCode: TYPE_CODE } }).success).toBe(
      true,
    );
  });

  it('refuses a scope naming a holder: the holder is the caller', () => {
    expect(
      HolderGrantRequestSchema.safeParse({ ...request, scope: { typeCode: TYPE_CODE, holder: HOLDER } })
        .success,
    ).toBe(false);
  });

  it('refuses an invalid relying agency code, no fields, a use count out of range and unknown fields', () => {
    for (const wrong of [
      { ...request, relyingAgency: '12330100D000001449' },
      { ...request, fields: [] },
      { ...request, maxUses: 0 },
      { ...request, maxUses: 10_001 },
      { ...request, expiresAt: 'next week' },
      { ...request, holderIndex: 'x' },
    ]) {
      expect(HolderGrantRequestSchema.safeParse(wrong).success).toBe(false);
    }
  });
});

describe('RevokeGrantRequest', () => {
  it('takes an optional reason and nothing else', () => {
    expect(RevokeGrantRequestSchema.safeParse({}).success).toBe(true);
    expect(RevokeGrantRequestSchema.safeParse({ reason: '持证人撤回' }).success).toBe(true);
    expect(RevokeGrantRequestSchema.safeParse({ reason: '' }).success).toBe(false);
    expect(RevokeGrantRequestSchema.safeParse({ grantId: 'g' }).success).toBe(false);
  });
});
