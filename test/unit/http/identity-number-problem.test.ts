import { describe, expect, it } from 'vitest';
import { changeLicenseStatus } from '#app/change-license-status.ts';
import { issueLicense } from '#app/issue-license.ts';
import { DEMO_HOLDERS, DEMO_LICENSES, DEMO_USCC } from '#dev/demo/catalog.ts';
import { asProblem } from '#http/domain-problems.ts';
import { HttpProblem, problemDocument } from '#http/problem.ts';
import { issuerWorld } from '../app/issuer-fakes.ts';

// Free text naming an identity number reaches the client as the 400 a schema violation is: type
// validation-failed, the field in errors[].path — and the detail does not echo the number back.

describe('an identity number in free text, as a problem', () => {
  it('is 400 validation-failed naming the field, and changes nothing', async () => {
    const world = issuerWorld(new Date('2025-06-01T02:00:00.000Z'));
    const holder = DEMO_HOLDERS.zhangWeiming;
    const psb = { agency: DEMO_USCC.publicSecurityBureau };
    const { licenseId } = await issueLicense(
      {
        typeCode: DEMO_LICENSES[0]!.typeCode,
        holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
        data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: '2025-06-01', until: '2045-06-01' } },
      },
      psb,
      world.deps,
    );

    const refused = await changeLicenseStatus(
      { licenseId, action: 'revoke', reason: `吊销 ${holder.code}` },
      psb,
      world.deps,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );

    const problem = asProblem(refused);
    expect(problem).toBeInstanceOf(HttpProblem);
    const { problemType, message, extensions } = problem as HttpProblem;
    expect(problemDocument(problemType, message, extensions)).toEqual({
      type: 'urn:elicense:problem:validation-failed',
      title: expect.any(String),
      status: 400,
      detail: expect.stringMatching(/^reason: must not contain an identity number/),
      code: 'IDENTITY_NUMBER_IN_TEXT',
      errors: [{ path: 'reason', message: expect.stringMatching(/^must not contain an identity number/) }],
    });
    expect(message).not.toContain(holder.code);
    expect(world.licenses.records.get(licenseId)?.status).toBe('valid');
    expect(world.licenses.audit.map((e) => e.action)).toEqual(['license.issued']);
  });
});
