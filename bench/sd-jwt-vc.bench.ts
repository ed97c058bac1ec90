// Cost of the signed license (SD-JWT VC): our full verify of a 12-field resident identity card
// presented with 6 fields and its status read from a decoded Token Status List, against the
// physical floor (one raw ES256 verify) and against the reference library verifying the same
// presentation; and the CPU one issue costs without KMS (software ES256 signer).
import { verify as rawVerify } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { SoftwareEs256Signer } from '#adapters/local/software-signer.ts';
import {
  base64urlToText,
  decodeCompactJws,
  type PublicJwk,
  p1363ToDer,
  publicKeyOf,
  verifyEs256,
} from '#core/jws.ts';
import { sdDigest } from '#core/sd-jwt-vc/digest.ts';
import {
  issueSdJwtVc,
  presentSdJwtVc,
  type StatusListReference,
  verifySdJwtVc,
} from '#core/sd-jwt-vc/index.ts';
import { StatusList } from '#core/status-list.ts';
import { signStatusListToken, verifyStatusListToken } from '#core/status-list-token.ts';
import { demoLicense, ISSUER, NOW, SIX_FIELDS, STATUS_URI } from '../test/unit/sd-jwt-vc/demo-license.ts';
import type { Figure } from './run.ts';

const WARM_UP_MS = 500;
/** Measured time per figure, spread over slices that alternate between the contenders. */
const MEASURE_MS = 3_000;
const SLICE_MS = 50;

// The demo resident identity card the unit tests use: 12 fields, 6 of them presented.
const LICENSE = demoLicense();

type Contender = () => boolean | Promise<boolean>;

/**
 * Operations per CPU-second of each contender. The contenders run in alternating slices, and
 * each is charged the process CPU time (user + system, all threads: the library's WebCrypto
 * work runs on the libuv pool) of its own slices: on a shared, loaded machine wall time
 * mostly measures the neighbours, and alternating exposes every contender to the same drift.
 */
async function cpuRates(contenders: Record<string, Contender>): Promise<Record<string, number>> {
  const names = Object.keys(contenders);
  const ops = Object.fromEntries(names.map((n) => [n, 0]));
  const cpuMicros = Object.fromEntries(names.map((n) => [n, 0]));
  const slice = async (fn: Contender, ms: number): Promise<{ n: number; cpu: number }> => {
    const before = process.cpuUsage();
    const end = performance.now() + ms;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 16; i += 1) {
        const result = fn();
        if (typeof result === 'boolean' ? result : await result) n += 1;
        else throw new Error('a benchmarked call failed');
      }
    }
    const used = process.cpuUsage(before);
    return { n, cpu: used.user + used.system };
  };
  for (const name of names) await slice(contenders[name]!, WARM_UP_MS);
  for (let elapsed = 0; elapsed < MEASURE_MS; elapsed += SLICE_MS) {
    for (const name of names) {
      const { n, cpu } = await slice(contenders[name]!, SLICE_MS);
      ops[name]! += n;
      cpuMicros[name]! += cpu;
    }
  }
  return Object.fromEntries(names.map((n) => [n, ops[n]! / (cpuMicros[n]! / 1e6)]));
}

export async function run(): Promise<Record<string, Figure>> {
  const agency = new SoftwareEs256Signer('agency-seal-2024');
  const platform = new SoftwareEs256Signer('platform-status-2024');
  const { sdJwt } = await issueSdJwtVc(LICENSE, agency);
  const presentation = await presentSdJwtVc(sdJwt, SIX_FIELDS);

  // Status from a decoded list, as the verify function will hold one between fetches.
  const list = StatusList.create(16_384);
  list.set(4712, 1);
  const token = await signStatusListToken(
    {
      uri: STATUS_URI,
      list,
      issuedAt: new Date((NOW - 60) * 1000),
      expiresAt: new Date((NOW + 3600) * 1000),
      ttlSeconds: 300,
    },
    platform,
  );
  const decoded = verifyStatusListToken(token, {
    publicJwk: platform.publicJwk,
    uri: STATUS_URI,
    now: new Date(NOW * 1000),
  });
  if (!decoded.ok) throw new Error(`status list token did not verify: ${JSON.stringify(decoded.failures)}`);
  const lists = new Map<string, StatusList>([[STATUS_URI, decoded.list]]);
  const status = (ref: StatusListReference): number => {
    const found = lists.get(ref.uri);
    if (!found) throw new Error(`no status list ${ref.uri}`);
    return found.get(ref.idx);
  };
  const keys = new Map<string, PublicJwk>([[`${ISSUER}#${agency.kid}`, agency.publicJwk]]);
  const options = {
    now: NOW,
    resolveIssuerKey: (iss: string, kid: string) => keys.get(`${iss}#${kid}`),
    status,
    issuers: [ISSUER],
    vcts: ['urn:gbt36904:license-type:11100000MB0000001T001'],
  };
  const check = await verifySdJwtVc(presentation, options);
  if (!check.valid || Object.keys(check.claims!.fields).length !== 6) {
    throw new Error(`benchmark presentation does not verify: ${JSON.stringify(check.checks)}`);
  }

  // The floor: one ES256 verify of the same signing input with an already imported key, in the
  // cheapest form node:crypto takes: the KeyObject itself and the signature already in DER.
  // Not `{ key, dsaEncoding: 'ieee-p1363' }`: node 24 tells that options object from a key by
  // two brand checks that throw, each capturing a stack trace, ≈45 µs more per call than the
  // ECDSA work (≈80 µs) — a floor with that cost in it was no floor, and a verifier that
  // avoids it (ours does, in `verifyEs256`) would be flattered against it.
  const jws = decodeCompactJws(presentation.split('~')[0]!);
  const signingInput = Buffer.from(jws.signingInput);
  const key = publicKeyOf(agency.publicJwk);
  const derSignature = p1363ToDer(jws.signature);

  // The peer: the library's verifier with its own crypto adapter, on the same presentation.
  // It has no decoded-list cache: its status step re-reads the list on every call (inflate, then
  // one JS number per entry: most of its time with a 16,384-entry list); the list's signature
  // check is turned off, as ours checks a list once per fetch, not per call. So that this list
  // cost does not flatter us, the same library's verify without the status step (the
  // `@sd-jwt/core` instance the VC one extends) is measured too.
  const library = new SDJwtVcInstance({
    hasher: digest,
    verifier: await ES256.getVerifier(agency.publicJwk),
    statusListFetcher: async () => token,
    statusVerifier: async () => true,
  });
  const libraryCore = new SDJwtInstance({
    hasher: digest,
    verifier: await ES256.getVerifier(agency.publicJwk),
  });
  await library.verify(presentation, { currentDate: NOW });
  await libraryCore.verify(presentation, { currentDate: NOW });

  const rates = await cpuRates({
    ours: async () => (await verifySdJwtVc(presentation, options)).valid,
    raw: () => rawVerify('sha256', signingInput, key, derSignature),
    floor: () => unskippableSteps(presentation, agency.publicJwk, status),
    library: async () => (await library.verify(presentation, { currentDate: NOW })).payload.vct !== undefined,
    libraryCore: async () =>
      (await libraryCore.verify(presentation, { currentDate: NOW })).payload !== undefined,
  });
  const verifyPerS = rates.ours!;
  const rawPerS = rates.raw!;
  const libPerS = rates.library!;
  const libCorePerS = rates.libraryCore!;

  // CPU per issue (no KMS, software signer): process CPU time over a fixed duration.
  const issueRate = await cpuRates({
    issue: async () => (await issueSdJwtVc(LICENSE, agency)).sdJwt.length > 0,
  });
  const issueCpuMs = 1000 / issueRate.issue!;

  return {
    verify_per_s: {
      value: Math.round(verifyPerS),
      unit: 'verifies/CPU-s',
    },
    raw_es256_verify_per_s: { value: Math.round(rawPerS), unit: 'verifies/CPU-s' },
    sdjwt_lib_verify_per_s: {
      value: Math.round(libPerS),
      unit: 'verifies/CPU-s',
    },
    sdjwt_lib_verify_nostatus_per_s: {
      value: Math.round(libCorePerS),
      unit: 'verifies/CPU-s',
    },
    verify_ratio_to_raw: { value: round2(verifyPerS / rawPerS), unit: 'ratio', target: '≥ 0.85' },
    // The same comparison as CPU time rather than a ratio: what one verify costs beyond the
    // signature check alone. Decoding the issuer JWT and six disclosures and hashing six
    // disclosures — steps no check can skip — take ≈11 µs of it on the 2-core bench machine.
    verify_cpu_beyond_signature_us: {
      value: round2(1e6 / verifyPerS - 1e6 / rawPerS),
      unit: 'µs CPU/verify',
    },
    // What no verifier can skip, interleaved with the ECDSA work as a verify interleaves them:
    // how near 0.85 any verifier of this presentation could come in this runtime.
    verify_floor_ratio_to_raw: { value: round2(rates.floor! / rawPerS), unit: 'ratio' },
    verify_ratio_to_lib: { value: round2(verifyPerS / libPerS), unit: 'ratio', target: '≥ 1.0' },
    verify_ratio_to_lib_nostatus: { value: round2(verifyPerS / libCorePerS), unit: 'ratio' },
    issue_cpu_ms: { value: round3(issueCpuMs), unit: 'ms CPU/license', target: '≤ 0.5' },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The steps no SD-JWT VC verifier of this presentation can skip, and nothing else: split it,
 * decode the issuer JWT, check its signature, hash and decode each disclosure and find its digest
 * among the signed ones, read the status. No check of a claim, no answer: a floor for a full
 * verify, not a verifier.
 */
function unskippableSteps(
  presentation: string,
  jwk: PublicJwk,
  status: (ref: StatusListReference) => number,
): boolean {
  const parts = presentation.split('~');
  const jwt = decodeCompactJws(parts[0]!);
  if (!verifyEs256(jwt.signingInput, jwt.signature, jwk)) return false;
  const digests = new Set(jwt.payload._sd as string[]);
  const fields: Record<string, unknown> = {};
  for (let i = 1; i < parts.length - 1; i++) {
    if (!digests.has(sdDigest(parts[i]!))) return false;
    const [, name, value] = JSON.parse(base64urlToText(parts[i]!)) as [string, string, unknown];
    fields[name] = value;
  }
  const { idx, uri } = (jwt.payload.status as { status_list: StatusListReference }).status_list;
  return status({ idx, uri }) === 0 && Object.keys(fields).length === 6;
}
