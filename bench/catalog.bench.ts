// Cost of the catalog on the issue path: validating license data against its type (every
// issue and re-issue, bulk bursts included), parsing a type (on each catalog load), and
// computing a re-issue (identifier parse + build).
import { validateLicenseData } from '#core/catalog/license-data.ts';
import { LicenseTypeSchema } from '#core/catalog/license-type.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { reissue } from '#core/lifecycle.ts';
import { DEMO_LICENSE_TYPES, DEMO_LICENSES, DEMO_USCC, RESIDENT_IDENTITY_CARD } from '#dev/demo/catalog.ts';
import type { Figure } from './run.ts';

const ITERATIONS = 50_000;
const WARM_UP = 5_000;

/** Calls per second over a fixed number of iterations; every result is checked. */
function opsPerSecond(fn: (i: number) => boolean): number {
  let ok = 0;
  for (let i = 0; i < WARM_UP; i += 1) if (fn(i)) ok += 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) if (fn(i)) ok += 1;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (ok !== WARM_UP + ITERATIONS) throw new Error(`benchmark input is invalid: ${ok} good results`);
  return Math.round(ITERATIONS / seconds);
}

export async function run(): Promise<Record<string, Figure>> {
  const figures: Record<string, Figure> = {};
  for (const type of DEMO_LICENSE_TYPES) {
    const license = DEMO_LICENSES.find((l) => l.typeCode === type.code)!;
    const today = license.issuedOn;
    figures[`catalog.validateLicenseData.${type.name.en.replaceAll(' ', '-')}`] = {
      value: opsPerSecond(() => validateLicenseData(type, license.data, { today }).ok),
      unit: 'ops/s',
      target: '≥ 20000 (negligible beside one KMS sign per issue)',
    };
  }
  figures['catalog.LicenseTypeSchema.parse'] = {
    value: opsPerSecond(() => LicenseTypeSchema.safeParse(RESIDENT_IDENTITY_CARD).success),
    unit: 'ops/s',
  };
  const id = buildLicenseId({
    typeCode: RESIDENT_IDENTITY_CARD.code,
    issuerCode: DEMO_USCC.publicSecurityBureau,
    serial: 'DEMO0000001',
    version: '001',
  });
  const input = {
    actor: { kind: 'agency' as const, id: DEMO_USCC.publicSecurityBureau },
    at: '2025-06-01T08:00:00Z',
  };
  figures['lifecycle.reissue'] = {
    value: opsPerSecond(() => reissue({ id, status: 'valid' }, input).newVersion === '002'),
    unit: 'ops/s',
  };
  return figures;
}
