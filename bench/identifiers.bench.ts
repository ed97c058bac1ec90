// Throughput of the identifier validators, which sit on every request that names a license.
import { parseCitizenId } from '#core/identifiers/citizen-id.ts';
import { buildLicenseId, parseLicenseId } from '#core/identifiers/license-id.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import type { Figure } from './run.ts';

const ITERATIONS = 200_000;
const WARM_UP = 20_000;

/** Calls per second; every result is read, so the JIT cannot drop the call. */
function opsPerSecond(fn: (i: number) => { valid: boolean } | string): number {
  let seen = 0;
  const use = (r: { valid: boolean } | string) => (typeof r === 'string' ? r.length > 0 : r.valid);
  for (let i = 0; i < WARM_UP; i += 1) if (use(fn(i))) seen += 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) if (use(fn(i))) seen += 1;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (seen !== WARM_UP + ITERATIONS) throw new Error(`benchmark input is invalid: ${seen} valid results`);
  return Math.round(ITERATIONS / seconds);
}

export async function run(): Promise<Record<string, Figure>> {
  const licenseId = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F';
  const parts = { typeCode: '11100000000013338W032', issuerCode: '11220000013544541J', version: '001' };
  const today = '2025-06-30';
  return {
    'identifiers.parseLicenseId': { value: opsPerSecond(() => parseLicenseId(licenseId)), unit: 'ops/s' },
    'identifiers.buildLicenseId': {
      value: opsPerSecond((i) => buildLicenseId({ ...parts, serial: String(i) })),
      unit: 'ops/s',
    },
    'identifiers.parseUscc': { value: opsPerSecond(() => parseUscc('91350100M000100Y43')), unit: 'ops/s' },
    'identifiers.parseCitizenId': {
      value: opsPerSecond(() => parseCitizenId('11010519491231002X', { today })),
      unit: 'ops/s',
    },
  };
}
