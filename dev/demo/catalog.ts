// The demo catalog the local platform seeds and the tests speak about: three license types
// people recognise (DEMO-DATA.md), the agencies that issue and use them, one duty-based
// sharing agreement, a few holders and their licenses.
//
// Everything here is invented. Every seeded record carries `demo: true` — the one marker the
// platform can filter on and refuse in production — and names use the invented city 演示市
// (Demo City) so that a human reading them knows too. Codes carry valid check characters
// (GB 32100 for USCCs, with a valid GB 11714 organization code inside; GB 11643 for citizen
// identity numbers), as test/unit/catalog/demo-catalog.test.ts checks.
import type { Agency, AgencyPublicJwk, ApiKey, RequestSignatureAlgorithm } from '#core/catalog/agency.ts';
import { demoPrivateKey } from '#core/catalog/demo-keys.ts';
import type { LicenseType } from '#core/catalog/license-type.ts';
import {
  DATA_DOMAIN_LEGAL_ENTITY,
  DATA_DOMAIN_PERSON,
  HOLDER_CODE_TYPE_CITIZEN_ID,
  HOLDER_CODE_TYPE_USCC,
} from '#core/catalog/license-type.ts';
import type { SharingAgreement } from '#core/catalog/sharing-agreement.ts';

// ── Defining ministries (not registered agencies: they only begin the type codes) ─────────

const MINISTRY_OF_PUBLIC_SECURITY = { name: '公安部（演示）', uscc: '11100000D00000013G' };
const MARKET_REGULATION_ADMINISTRATION = { name: '国家市场监督管理总局（演示）', uscc: '11100000D00000021B' };

// ── Agencies ───────────────────────────────────────────────────────────────────────────

/** USCCs of the demo agencies, by role in the walkthroughs. */
export const DEMO_USCC = {
  publicSecurityBureau: '11330100D0000011XM',
  marketRegulationBureau: '11330100D00000128M',
  vehicleAdministration: '11330100D00000136G',
  housingProvidentFundCentre: '12330100D000001448',
  platformOperator: '12330100D000001523',
} as const;

export const DEMO_AREA_CODE = '330100';
const KEYS_CREATED = '2025-01-01T00:00:00Z';

/**
 * Demo request-signing keys are derived from their key id (functions/core/catalog/demo-keys.ts),
 * so the local platform, the CLI and the tests all hold the same keys without sharing a file.
 * Public by construction: a stage that takes no demo data refuses them under any key id.
 */
export { demoPrivateKey };

function demoApiKey(keyId: string, algorithm: RequestSignatureAlgorithm): ApiKey {
  const jwk = demoPrivateKey(keyId, algorithm).export({ format: 'jwk' });
  const publicJwk: AgencyPublicJwk =
    algorithm === 'ed25519'
      ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, kid: keyId }
      : { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: keyId };
  return { keyId, algorithm, publicJwk, status: 'active', created: KEYS_CREATED };
}

export const DEMO_AGENCIES: Agency[] = [
  {
    uscc: DEMO_USCC.publicSecurityBureau,
    name: '演示市公安局',
    roles: ['issuer'],
    apiKeys: [demoApiKey('demo-psb-1', 'ecdsa-p256-sha256')],
    sealKey: { keyRef: `local:seal/${DEMO_USCC.publicSecurityBureau}`, kid: 'demo-psb-seal-1' },
    areaCode: DEMO_AREA_CODE,
    demo: true,
  },
  {
    uscc: DEMO_USCC.marketRegulationBureau,
    name: '演示市市场监督管理局',
    roles: ['issuer'],
    apiKeys: [demoApiKey('demo-amr-1', 'ecdsa-p256-sha256')],
    sealKey: { keyRef: `local:seal/${DEMO_USCC.marketRegulationBureau}`, kid: 'demo-amr-seal-1' },
    areaCode: DEMO_AREA_CODE,
    demo: true,
  },
  {
    uscc: DEMO_USCC.vehicleAdministration,
    name: '演示市公安局交通警察支队车辆管理所',
    roles: ['issuer'],
    apiKeys: [demoApiKey('demo-vehicle-1', 'ed25519')],
    sealKey: { keyRef: `local:seal/${DEMO_USCC.vehicleAdministration}`, kid: 'demo-vehicle-seal-1' },
    areaCode: DEMO_AREA_CODE,
    demo: true,
  },
  {
    uscc: DEMO_USCC.housingProvidentFundCentre,
    name: '演示市住房公积金管理中心',
    roles: ['relying'],
    apiKeys: [demoApiKey('demo-hpf-1', 'ecdsa-p256-sha256')],
    areaCode: DEMO_AREA_CODE,
    demo: true,
  },
  {
    uscc: DEMO_USCC.platformOperator,
    name: '演示市电子证照共享平台运营中心',
    roles: ['operator'],
    apiKeys: [demoApiKey('demo-operator-1', 'ed25519')],
    areaCode: DEMO_AREA_CODE,
    demo: true,
  },
];

// ── License types ─────────────────────────────────────────────────────────────────────

export const DEMO_TYPE_CODE = {
  residentIdentityCard: `${MINISTRY_OF_PUBLIC_SECURITY.uscc}001`,
  drivingLicence: `${MINISTRY_OF_PUBLIC_SECURITY.uscc}002`,
  businessLicense: `${MARKET_REGULATION_ADMINISTRATION.uscc}001`,
} as const;

const SEX = ['男', '女'];
const VEHICLE_CLASSES = '(?:A1|A2|A3|B1|B2|C1|C2|C3|C4|C5|C6|D|E|F|M|N|P)+';

export const RESIDENT_IDENTITY_CARD: LicenseType = {
  code: DEMO_TYPE_CODE.residentIdentityCard,
  name: { zh: '居民身份证', en: 'Resident identity card' },
  definingAgency: MINISTRY_OF_PUBLIC_SECURITY,
  dataDomain: DATA_DOMAIN_PERSON,
  fields: [
    {
      name: '姓名',
      label: { zh: '姓名', en: 'Name' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      name: '性别',
      label: { zh: '性别', en: 'Sex' },
      type: 'enum',
      values: SEX,
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '民族',
      label: { zh: '民族', en: 'Ethnicity' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 16,
    },
    {
      name: '出生',
      label: { zh: '出生', en: 'Date of birth' },
      type: 'date',
      notFuture: true,
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
    },
    {
      name: '住址',
      label: { zh: '住址', en: 'Address' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 200,
    },
    {
      name: '公民身份号码',
      label: { zh: '公民身份号码', en: 'Citizen identity number' },
      type: 'string',
      identifier: 'citizen-id',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: true,
    },
    {
      name: '签发机关',
      label: { zh: '签发机关', en: 'Issuing authority' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      name: '有效期限',
      label: { zh: '有效期限', en: 'Period of validity' },
      type: 'period',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '照片',
      label: { zh: '照片', en: 'Photo' },
      type: 'image-ref',
      required: false,
      sensitive: true,
      disclosable: true,
      searchable: false,
    },
  ],
  holder: { nameField: '姓名', codeField: '公民身份号码', codeType: HOLDER_CODE_TYPE_CITIZEN_ID },
  // The term follows the holder's age at issue (under 16: 5 years, 16–25: 10, 26–45: 20,
  // over 45: long-term); the type only constrains it to one of these.
  validity: {
    field: '有效期限',
    termsInYears: [5, 10, 20],
    longTermAllowed: true,
    explicitEndAllowed: false,
  },
  issuers: [DEMO_USCC.publicSecurityBureau],
  demo: true,
};

export const BUSINESS_LICENSE: LicenseType = {
  code: DEMO_TYPE_CODE.businessLicense,
  name: { zh: '营业执照', en: 'Business license' },
  definingAgency: MARKET_REGULATION_ADMINISTRATION,
  dataDomain: DATA_DOMAIN_LEGAL_ENTITY,
  fields: [
    {
      name: '统一社会信用代码',
      label: { zh: '统一社会信用代码', en: 'Unified social credit code' },
      type: 'string',
      identifier: 'uscc',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: true,
    },
    {
      name: '名称',
      label: { zh: '名称', en: 'Name' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: true,
      maxLength: 128,
    },
    {
      name: '类型',
      label: { zh: '类型', en: 'Company type' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      name: '法定代表人',
      label: { zh: '法定代表人', en: 'Legal representative' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      // As printed (壹佰万元整, 100万元人民币): capital comes in several currencies and spellings.
      name: '注册资本',
      label: { zh: '注册资本', en: 'Registered capital' },
      type: 'string',
      required: false,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      name: '成立日期',
      label: { zh: '成立日期', en: 'Date of establishment' },
      type: 'date',
      notFuture: true,
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '营业期限',
      label: { zh: '营业期限', en: 'Business term' },
      type: 'period',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '经营范围',
      label: { zh: '经营范围', en: 'Business scope' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 4000,
    },
    {
      name: '住所',
      label: { zh: '住所', en: 'Domicile' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 200,
    },
    {
      name: '登记机关',
      label: { zh: '登记机关', en: 'Registration authority' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
  ],
  holder: { nameField: '名称', codeField: '统一社会信用代码', codeType: HOLDER_CODE_TYPE_USCC },
  validity: { field: '营业期限', termsInYears: [], longTermAllowed: true, explicitEndAllowed: true },
  issuers: [DEMO_USCC.marketRegulationBureau],
  demo: true,
};

export const DRIVING_LICENCE: LicenseType = {
  code: DEMO_TYPE_CODE.drivingLicence,
  name: { zh: '机动车驾驶证', en: 'Motor-vehicle driving licence' },
  definingAgency: MINISTRY_OF_PUBLIC_SECURITY,
  dataDomain: DATA_DOMAIN_PERSON,
  fields: [
    {
      name: '证号',
      label: { zh: '证号', en: 'Licence number' },
      type: 'string',
      identifier: 'citizen-id',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: true,
    },
    {
      name: '姓名',
      label: { zh: '姓名', en: 'Name' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 64,
    },
    {
      name: '性别',
      label: { zh: '性别', en: 'Sex' },
      type: 'enum',
      values: SEX,
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '国籍',
      label: { zh: '国籍', en: 'Nationality' },
      type: 'string',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 32,
    },
    {
      name: '住址',
      label: { zh: '住址', en: 'Address' },
      type: 'string',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
      maxLength: 200,
    },
    {
      name: '出生日期',
      label: { zh: '出生日期', en: 'Date of birth' },
      type: 'date',
      notFuture: true,
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
    },
    {
      name: '初次领证日期',
      label: { zh: '初次领证日期', en: 'Date first issued' },
      type: 'date',
      notFuture: true,
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '准驾车型',
      label: { zh: '准驾车型', en: 'Permitted vehicle classes' },
      type: 'string',
      pattern: VEHICLE_CLASSES,
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
      maxLength: 32,
    },
    {
      name: '有效期限',
      label: { zh: '有效期限', en: 'Period of validity' },
      type: 'period',
      required: true,
      sensitive: false,
      disclosable: true,
      searchable: false,
    },
    {
      name: '档案编号',
      label: { zh: '档案编号', en: 'File number' },
      type: 'string',
      pattern: '\\d{12}',
      required: true,
      sensitive: true,
      disclosable: true,
      searchable: false,
    },
  ],
  holder: { nameField: '姓名', codeField: '证号', codeType: HOLDER_CODE_TYPE_CITIZEN_ID },
  validity: { field: '有效期限', termsInYears: [6, 10], longTermAllowed: true, explicitEndAllowed: false },
  issuers: [DEMO_USCC.vehicleAdministration],
  demo: true,
};

export const DEMO_LICENSE_TYPES: LicenseType[] = [RESIDENT_IDENTITY_CARD, BUSINESS_LICENSE, DRIVING_LICENCE];

// ── Sharing agreements (依职能用证) ──────────────────────────────────────────────────────

/** 住房公积金提取 — an invented service item code. */
export const DEMO_SERVICE_ITEM = { code: 'DEMO330100GJJTQ001', name: '住房公积金提取' } as const;

/**
 * The provident fund centre checks who applies for a withdrawal (name and citizen identity
 * number from the identity card) and, for employer-side cases, which company (code and name
 * from the business license). One agreement per type, one service item.
 */
export const DEMO_SHARING_AGREEMENTS: SharingAgreement[] = [
  {
    id: 'demo-hpf-withdrawal-id-card',
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    serviceItem: DEMO_SERVICE_ITEM,
    purposes: ['核验提取申请人身份'],
    fields: ['姓名', '公民身份号码'],
    validFrom: '2025-01-01',
    validUntil: '2030-12-31',
    demo: true,
  },
  {
    id: 'demo-hpf-withdrawal-business-license',
    relyingAgency: DEMO_USCC.housingProvidentFundCentre,
    typeCode: DEMO_TYPE_CODE.businessLicense,
    serviceItem: DEMO_SERVICE_ITEM,
    purposes: ['核验缴存单位主体资格'],
    fields: ['统一社会信用代码', '名称'],
    validFrom: '2025-01-01',
    validUntil: '2030-12-31',
    demo: true,
  },
];

// ── Holders and their licenses ─────────────────────────────────────────────────────────

export interface DemoHolder {
  demo: true;
  kind: 'person' | 'legal-entity';
  name: string;
  /** 持证主体代码类型: 111 citizen identity number, 001 USCC. */
  codeType: string;
  code: string;
}

export const DEMO_HOLDERS = {
  zhangWeiming: {
    demo: true,
    kind: 'person',
    name: '张伟明',
    codeType: HOLDER_CODE_TYPE_CITIZEN_ID,
    code: '330102199003071230',
  },
  liXiaoyan: {
    demo: true,
    kind: 'person',
    name: '李晓燕',
    codeType: HOLDER_CODE_TYPE_CITIZEN_ID,
    code: '330106198511202461',
  },
  // Born on a leap day, so tests meet 29 February.
  wangSiyuan: {
    demo: true,
    kind: 'person',
    name: '王思远',
    codeType: HOLDER_CODE_TYPE_CITIZEN_ID,
    code: '330105200002290153',
  },
  demoTechnology: {
    demo: true,
    kind: 'legal-entity',
    name: '演示市示例科技有限公司',
    codeType: HOLDER_CODE_TYPE_USCC,
    code: '91330100MA2D00010B',
  },
} as const satisfies Record<string, DemoHolder>;

/** The legal representative of the demo company; not a holder of any demo license. */
export const DEMO_LEGAL_REPRESENTATIVE = { demo: true, name: '陈建国', code: '330103197808150312' } as const;

/** A license to seed: its type, issuer and data; identifier and signature come at issue. */
export interface DemoLicense {
  demo: true;
  typeCode: string;
  issuer: string;
  /** 流水号; fixed, so that the seeded identifiers are the same on every machine. */
  serial: string;
  holder: DemoHolder;
  /** The day the data was issued on; the data is valid against the catalog on this day. */
  issuedOn: string;
  data: Record<string, unknown>;
}

const PSB_NAME = '演示市公安局';

export const DEMO_LICENSES: DemoLicense[] = [
  {
    demo: true,
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    issuer: DEMO_USCC.publicSecurityBureau,
    serial: 'DEMO0000001',
    holder: DEMO_HOLDERS.zhangWeiming,
    issuedOn: '2016-05-10',
    data: {
      姓名: '张伟明',
      性别: '男',
      民族: '汉',
      出生: '1990-03-07',
      住址: '演示市示例区示例路18号',
      公民身份号码: '330102199003071230',
      签发机关: PSB_NAME,
      有效期限: { from: '2016-05-10', until: '2036-05-10' },
    },
  },
  {
    demo: true,
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    issuer: DEMO_USCC.publicSecurityBureau,
    serial: 'DEMO0000002',
    holder: DEMO_HOLDERS.liXiaoyan,
    issuedOn: '2021-06-01',
    data: {
      姓名: '李晓燕',
      性别: '女',
      民族: '回',
      出生: '1985-11-20',
      住址: '演示市示例区样板街6号2单元301室',
      公民身份号码: '330106198511202461',
      签发机关: PSB_NAME,
      有效期限: { from: '2021-06-01', until: '2041-06-01' },
    },
  },
  {
    demo: true,
    typeCode: DEMO_TYPE_CODE.residentIdentityCard,
    issuer: DEMO_USCC.publicSecurityBureau,
    serial: 'DEMO0000003',
    holder: DEMO_HOLDERS.wangSiyuan,
    issuedOn: '2018-03-15',
    data: {
      姓名: '王思远',
      性别: '男',
      民族: '汉',
      出生: '2000-02-29',
      住址: '演示市样例区测试巷9号',
      公民身份号码: '330105200002290153',
      签发机关: PSB_NAME,
      有效期限: { from: '2018-03-15', until: '2028-03-15' },
    },
  },
  {
    demo: true,
    typeCode: DEMO_TYPE_CODE.drivingLicence,
    issuer: DEMO_USCC.vehicleAdministration,
    serial: 'DEMO0000004',
    holder: DEMO_HOLDERS.zhangWeiming,
    issuedOn: '2018-07-20',
    data: {
      证号: '330102199003071230',
      姓名: '张伟明',
      性别: '男',
      国籍: '中国',
      住址: '演示市示例区示例路18号',
      出生日期: '1990-03-07',
      初次领证日期: '2012-07-20',
      准驾车型: 'C1',
      有效期限: { from: '2018-07-20', until: '2028-07-20' },
      档案编号: '330100123456',
    },
  },
  {
    demo: true,
    typeCode: DEMO_TYPE_CODE.businessLicense,
    issuer: DEMO_USCC.marketRegulationBureau,
    serial: 'DEMO0000005',
    holder: DEMO_HOLDERS.demoTechnology,
    issuedOn: '2019-04-18',
    data: {
      统一社会信用代码: '91330100MA2D00010B',
      名称: '演示市示例科技有限公司',
      类型: '有限责任公司（自然人投资或控股）',
      法定代表人: DEMO_LEGAL_REPRESENTATIVE.name,
      注册资本: '壹佰万元整',
      成立日期: '2019-04-18',
      营业期限: { from: '2019-04-18', until: '长期' },
      经营范围:
        '软件开发；信息技术咨询服务；数据处理服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）',
      住所: '演示市示例区创新大道100号',
      登记机关: '演示市市场监督管理局',
    },
  },
];

/** Everything the local platform seeds, in one object. */
export const DEMO_CATALOG = {
  licenseTypes: DEMO_LICENSE_TYPES,
  agencies: DEMO_AGENCIES,
  sharingAgreements: DEMO_SHARING_AGREEMENTS,
  holders: Object.values(DEMO_HOLDERS) as DemoHolder[],
  licenses: DEMO_LICENSES,
};
