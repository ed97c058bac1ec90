// The query string of every listing route over HTTP: each takes exactly the parameters it
// documents, and refuses anything else — a page size that is no number, an empty or foreign
// cursor, an unknown or misspelt parameter, one named like a member every object inherits —
// with 400 validation-failed, as /applications and /holder/grants always did, instead of
// ignoring it (a misspelt ?relyingagency= answered every agreement).
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USCC } from '#dev/demo/catalog.ts';
import { agencyClient } from './issuer-support.ts';
import { holderToken } from './support/holder-tokens.ts';

const base = inject('platformUrl');
const operator = agencyClient('demo-operator-1');
let holderHeaders: Record<string, string>;

beforeAll(async () => {
  holderHeaders = { authorization: `Bearer ${await holderToken('zhangweiming')}` };
});

type Caller = (pathAndQuery: string) => Promise<Response>;
const asOperator: Caller = (path) => operator.request('GET', path);
const asAnyone: Caller = (path) => fetch(`${base}${path}`);
const asHolder: Caller = (path) => fetch(`${base}${path}`, { headers: holderHeaders });

const PAGE_REFUSALS = [
  'limit=abc',
  'limit=-1',
  'limit=0',
  'limit=101',
  'limit=0x10',
  'limit=1e1',
  'limit=05',
  'cursor=',
  'unknown=1',
  '__proto__=1',
  'constructor=1',
];

const LISTINGS: ReadonlyArray<{ path: string; call: () => Caller; fine: string[]; refused: string[] }> = [
  {
    path: '/agencies',
    call: () => asOperator,
    fine: ['', 'limit=1'],
    refused: [...PAGE_REFUSALS, 'cursor=garbage!!', 'state=nope'],
  },
  {
    path: '/sharing-agreements',
    call: () => asOperator,
    fine: ['', 'limit=1', `relyingAgency=${DEMO_USCC.housingProvidentFundCentre}`],
    refused: [...PAGE_REFUSALS, 'cursor=garbage!!', `relyingagency=${DEMO_USCC.housingProvidentFundCentre}`],
  },
  {
    path: '/license-types',
    call: () => asAnyone,
    fine: ['', 'limit=1'],
    refused: [...PAGE_REFUSALS, 'cursor=garbage!!', 'state=nope'],
  },
  // Not paged: every license of the holder in one answer, so no parameter at all.
  {
    path: '/holder/licenses',
    call: () => asHolder,
    fine: [''],
    refused: [...PAGE_REFUSALS, 'limit=5', 'cursor=garbage!!'],
  },
  // The holder's own reads that take nothing: the account, its proofings, its device keys.
  ...['/holder/me', '/holder/proofings', '/holder/device-keys'].map((path) => ({
    path,
    call: () => asHolder,
    fine: [''],
    refused: ['limit=abc', 'cursor=', 'unknown=1', '__proto__=1'],
  })),
];

describe('the query string of a listing', () => {
  for (const listing of LISTINGS) {
    it(`GET ${listing.path} takes what it documents and refuses anything else with 400`, async () => {
      const call = listing.call();
      for (const query of listing.fine) {
        const response = await call(query === '' ? listing.path : `${listing.path}?${query}`);
        expect(response.status, `${listing.path}?${query}: ${await response.clone().text()}`).toBe(200);
      }
      for (const query of listing.refused) {
        const response = await call(`${listing.path}?${query}`);
        expect(response.status, `${listing.path}?${query}`).toBe(400);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        // A cursor that parses as a parameter but not as a cursor is the store's to refuse (bad-request).
        expect(await response.json(), `${listing.path}?${query}`).toMatchObject({
          type: query.startsWith('cursor=garbage')
            ? expect.stringMatching(/^urn:elicense:problem:(bad-request|validation-failed)$/)
            : 'urn:elicense:problem:validation-failed',
        });
      }
    });
  }
});

describe('a query parameter given twice', () => {
  // The signature covers both values; API Gateway's queryStringParameters keeps the last one.
  const repeats: ReadonlyArray<{ call: () => Caller; pathAndQuery: string; parameter: string }> = [
    {
      call: () => asOperator,
      pathAndQuery: `/sharing-agreements?relyingAgency=${DEMO_USCC.housingProvidentFundCentre}&relyingAgency=${DEMO_USCC.housingProvidentFundCentre}`,
      parameter: 'relyingAgency',
    },
    { call: () => asAnyone, pathAndQuery: '/license-types?limit=1&limit=2', parameter: 'limit' },
    { call: () => asHolder, pathAndQuery: '/holder/grants?limit=1&limit=1', parameter: 'limit' },
  ];
  for (const { call, pathAndQuery, parameter } of repeats) {
    it(`is refused 400 REPEATED_PARAMETER, not read as one of its values: ${pathAndQuery}`, async () => {
      const response = await call()(pathAndQuery);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({
        type: 'urn:elicense:problem:bad-request',
        code: 'REPEATED_PARAMETER',
        parameter,
      });
    });
  }
});
