// What the issuer e2e tests share: SDK clients of the demo agencies against the local platform,
// license requests for the demo types, and verification through POST /verify.

import { inject } from 'vitest';
import { addYears } from '#core/civil-date.ts';
import { chinaCalendarDate } from '#core/identifiers/citizen-id.ts';
import {
  DEMO_AGENCIES,
  DEMO_HOLDERS,
  DEMO_LICENSES,
  DEMO_TYPE_CODE,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { type AgencyClient, createAgencyClient } from '../../sdk/agency-client.ts';
import { createIssuerClient, type IssueLicenseRequest, type IssuerClient } from '../../sdk/issuer.ts';

export const base = inject('platformUrl');

/** The signing client of a demo agency key (`demo-psb-1`, `demo-amr-1`, …). */
export function agencyClient(keyId: string): AgencyClient {
  const key = DEMO_AGENCIES.flatMap((a) => a.apiKeys).find((k) => k.keyId === keyId);
  if (!key) throw new Error(`no demo key ${keyId}`);
  return createAgencyClient({
    endpoint: base,
    keyId,
    privateKey: demoPrivateKey(keyId, key.algorithm),
    algorithm: key.algorithm,
  });
}

export const psb: IssuerClient = createIssuerClient(agencyClient('demo-psb-1'));
export const amr: IssuerClient = createIssuerClient(agencyClient('demo-amr-1'));
export const vehicle: IssuerClient = createIssuerClient(agencyClient('demo-vehicle-1'));

const today = chinaCalendarDate(new Date());

/** A resident identity card for 张伟明, valid 20 years from today (China Standard Time). */
export function idCardRequest(data: Record<string, unknown> = {}): IssueLicenseRequest {
  const holder = DEMO_HOLDERS.zhangWeiming;
  return {
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[0]!.data, 有效期限: { from: today, until: addYears(today, 20) }, ...data },
  };
}

/** A business license of the demo company, long-term. */
export function businessLicenseRequest(): IssueLicenseRequest {
  const holder = DEMO_HOLDERS.demoTechnology;
  return {
    typeCode: DEMO_TYPE_CODE.businessLicense,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[4]!.data, 营业期限: { from: today, until: '长期' } },
  };
}

/** A driving licence of 张伟明, valid 6 years from today. */
export function drivingLicenceRequest(): IssueLicenseRequest {
  const holder = DEMO_HOLDERS.zhangWeiming;
  return {
    typeCode: DEMO_TYPE_CODE.drivingLicence,
    holder: { name: holder.name, codeType: holder.codeType, code: holder.code },
    data: { ...DEMO_LICENSES[3]!.data, 有效期限: { from: today, until: addYears(today, 6) } },
  };
}

export interface Verification {
  valid: boolean;
  checks: Record<string, string>;
  claims?: { licenseId: string; fields: Record<string, unknown> };
}

/** POST /verify of a license or presentation. */
export async function verify(presentation: string): Promise<Verification> {
  const response = await fetch(`${base}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ presentation }),
  });
  if (response.status !== 200)
    throw new Error(`verify answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Verification;
}
