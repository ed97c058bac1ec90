// The annotated copy (加注件): what it states, and that a relying party holding the platform
// key can tell a genuine copy for this presentation from an altered, foreign or stale one.
import { describe, expect, it } from 'vitest';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import {
  ANNOTATION_TYP,
  type AnnotatedCopyStatement,
  annotationClaims,
  signAnnotatedCopy,
  verifyAnnotatedCopy,
} from '#core/annotated-copy.ts';
import { base64url, decodeCompactJws, signCompactJws } from '#core/jws.ts';
import { sdDigest } from '#core/sd-jwt-vc/index.ts';

const platform = new SoftwareEs256Signer('platform-1');
const PRESENTATION = 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzYWx0Iiwi5aeT5ZCNIiwi5byg5LyfIl0~';

const statement: AnnotatedCopyStatement = {
  platform: 'https://elicense.test',
  requester: '12330100D000001448',
  basis: {
    kind: 'duty',
    agreementId: 'demo-hpf-withdrawal-id-card',
    serviceItem: { code: 'DEMO330100GJJTQ001', name: '住房公积金提取' },
    caseNumber: 'GJJTQ-2025-000123',
    operatorId: 'hpf-operator-007',
  },
  purpose: '核验提取申请人身份',
  licenseId: '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.DEMO0000001.001.Q',
  licenseVersion: '001',
  typeCode: '11100000D00000013G001',
  disclosed: ['姓名'],
  presentation: PRESENTATION,
  issuedAt: 1_750_000_000,
  expiresAt: 1_750_086_400,
  eventId: 'evt-1',
};

describe('annotated copy claims', () => {
  it('name requester, basis, purpose, case number, times, license and the presentation digest', () => {
    expect(annotationClaims(statement)).toEqual({
      iss: 'https://elicense.test',
      sub: statement.licenseId,
      aud: '12330100D000001448',
      iat: 1_750_000_000,
      exp: 1_750_086_400,
      jti: 'evt-1',
      requester: '12330100D000001448',
      basis: {
        kind: 'duty',
        agreement_id: 'demo-hpf-withdrawal-id-card',
        service_item_code: 'DEMO330100GJJTQ001',
        service_item_name: '住房公积金提取',
        operator_id: 'hpf-operator-007',
      },
      purpose: '核验提取申请人身份',
      case_number: 'GJJTQ-2025-000123',
      license_id: statement.licenseId,
      license_version: '001',
      type_code: '11100000D00000013G001',
      disclosed: ['姓名'],
      presentation_digest: { alg: 'sha-256', value: sdDigest(PRESENTATION) },
    });
  });

  it('name the grant for a grant basis, without a case number', () => {
    const claims = annotationClaims({ ...statement, basis: { kind: 'grant', grantId: 'grant-0001' } });

    expect(claims.basis).toEqual({ kind: 'grant', grant_id: 'grant-0001' });
    expect(claims).not.toHaveProperty('case_number');
  });

  it('say the license’s seal key is withdrawn when the platform knew it, and nothing otherwise', () => {
    const since = '2025-05-31T08:00:00.000Z';
    expect(annotationClaims({ ...statement, sealWithdrawn: { kid: 'seal-1', since } })).toMatchObject({
      seal_withdrawn: { kid: 'seal-1', since },
    });
    expect(annotationClaims({ ...statement, sealWithdrawn: { kid: 'seal-1' } }).seal_withdrawn).toEqual({
      kid: 'seal-1',
    });
    expect(annotationClaims(statement)).not.toHaveProperty('seal_withdrawn');
  });

  it('refuse an expiry that is not after the issue time', () => {
    expect(() => annotationClaims({ ...statement, expiresAt: statement.issuedAt })).toThrow(RangeError);
  });
});

describe('verifying an annotated copy', () => {
  const context = { platformKey: platform.publicJwk, presentation: PRESENTATION, now: 1_750_000_100 };

  it('accepts the copy signed for this presentation', async () => {
    const jwt = await signAnnotatedCopy(statement, platform);

    expect(decodeCompactJws(jwt).header).toEqual({ typ: ANNOTATION_TYP, alg: 'ES256', kid: 'platform-1' });
    expect(verifyAnnotatedCopy(jwt, context)).toMatchObject({ valid: true, claims: { jti: 'evt-1' } });
  });

  it('refuses it for another presentation, past its expiry, under another key or altered', async () => {
    const jwt = await signAnnotatedCopy(statement, platform);
    const [header, , signature] = jwt.split('.');
    const altered = `${header}.${base64url(JSON.stringify({ ...annotationClaims(statement), purpose: '营销' }))}.${signature}`;
    const other = new SoftwareEs256Signer('platform-1');

    expect(verifyAnnotatedCopy(jwt, { ...context, presentation: `${PRESENTATION}x` })).toMatchObject({
      valid: false,
      failed: 'digest',
    });
    expect(verifyAnnotatedCopy(jwt, { ...context, now: statement.expiresAt })).toMatchObject({
      failed: 'expired',
    });
    expect(verifyAnnotatedCopy(jwt, { ...context, platformKey: other.publicJwk })).toMatchObject({
      failed: 'signature',
    });
    expect(verifyAnnotatedCopy(altered, context)).toMatchObject({ failed: 'signature' });
    expect(verifyAnnotatedCopy('not-a-jwt', context)).toMatchObject({ failed: 'malformed' });
  });

  it('refuses another kind of JWT signed with the platform key', async () => {
    const statusList = await signCompactJws({ typ: 'statuslist+jwt' }, annotationClaims(statement), platform);

    expect(verifyAnnotatedCopy(statusList, context)).toMatchObject({ valid: false, failed: 'type' });
  });
});
