// A resident identity card (居民身份证) as the demo seeds it: invented person, agency and codes
// with valid check characters, every value marked as demo data where the field allows text.
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import type { PublicJwk } from '#core/jws.ts';
import { agencyIssuer, type SdJwtVcLicense, type StatusListReference } from '#core/sd-jwt-vc/index.ts';

export const TYPE_CODE = '11100000MB0000001T001';
export const AGENCY_USCC = '11990102MB1234567C';
export const LICENSE_ID = `1.2.156.3005.2.${TYPE_CODE}.${AGENCY_USCC}.D20240001.001.H`;
export const ISSUER = agencyIssuer('https://elicense.example', AGENCY_USCC);
export const VCT = `urn:gbt36904:license-type:${TYPE_CODE}`;
export const STATUS_URI = 'https://elicense.example/status-lists/demo-0001';

/** 2024-03-01T00:00:00Z, the card's issue date and validity start. */
export const ISSUED_AT = Date.UTC(2024, 2, 1) / 1000;
/** 2044-03-01T00:00:00Z: a 20-year card. */
export const VALID_UNTIL = Date.UTC(2044, 2, 1) / 1000;
/** The verifier's clock in most tests: 2025-06-01T08:00:00Z. */
export const NOW = Date.UTC(2025, 5, 1, 8) / 1000;

/** Twelve printed fields of the card plus GB/T 36903 metadata the platform keeps with it. */
export const ID_CARD_FIELDS = {
  姓名: '张演示',
  性别: '男',
  民族: '汉',
  出生: '1990-03-07',
  住址: '演示省示例市样板区测试路1号（演示数据）',
  公民身份号码: '990102199003071233',
  签发机关: '示例市公安局样板分局（演示）',
  有效期限: '2024.03.01-2044.03.01',
  照片: 'urn:elicense:demo:layout:photo-0001',
  证照编号: 'D20240001',
  签发日期: '2024-03-01',
  行政区划代码: '990102',
} as const;

/** The six fields a relying agency typically asks for. */
export const SIX_FIELDS = ['姓名', '性别', '出生', '公民身份号码', '签发机关', '有效期限'] as const;

export function demoLicense(overrides: Partial<SdJwtVcLicense> = {}): SdJwtVcLicense {
  return {
    licenseId: LICENSE_ID,
    issuer: ISSUER,
    fields: ID_CARD_FIELDS,
    issuedAt: ISSUED_AT,
    validFrom: ISSUED_AT,
    validUntil: VALID_UNTIL,
    status: { uri: STATUS_URI, idx: 4711 },
    ...overrides,
  };
}

/** The issuing agency's key and the registry a verifier resolves `iss` + `kid` against. */
export function demoIssuerKeys(signer = new SoftwareEs256Signer('agency-seal-2024')) {
  const published = new Map<string, PublicJwk>([[`${ISSUER}#${signer.kid}`, signer.publicJwk]]);
  const resolveIssuerKey = (iss: string, kid: string) => published.get(`${iss}#${kid}`);
  return { signer, resolveIssuerKey };
}

/** An in-memory status list: every index valid unless set. */
export function statusTable(entries: Array<[number, number]> = []) {
  const table = new Map<string, number>(entries.map(([idx, value]) => [`${STATUS_URI}#${idx}`, value]));
  return (ref: StatusListReference) => table.get(`${ref.uri}#${ref.idx}`) ?? 0;
}
