import { HOLDER_CODE_TYPE_CITIZEN_ID, HOLDER_CODE_TYPE_USCC } from '../catalog/license-type.ts';
import { parseCitizenId } from '../identifiers/citizen-id.ts';
import { parseUscc } from '../identifiers/uscc.ts';

// Who a holder claims to be when proofing, and how strongly a proofing showed it. The platform
// binds accounts only to identities it can check the shape of: citizens by their identity
// number (GB 11643, code type 111) and legal entities by their USCC (GB 32100, code type 001).

/** Ordered weakest first: a binding's assurance is the strongest proofing of its identity so far. */
export const ASSURANCE_LEVELS = ['low', 'substantial', 'high'] as const;
export type Assurance = (typeof ASSURANCE_LEVELS)[number];

/** Whether `level` is at least `minimum`. */
export function meetsAssurance(level: Assurance, minimum: Assurance): boolean {
  return ASSURANCE_LEVELS.indexOf(level) >= ASSURANCE_LEVELS.indexOf(minimum);
}

export interface ClaimedIdentity {
  /** 持证主体代码类型: `111` or `001`. */
  codeType: string;
  code: string;
}

/**
 * The claimed identity normalised (trimmed, NFC, upper-case — as the blind index normalises),
 * or the reason it cannot be an identity the platform binds. `today` refuses birth dates in the
 * future.
 */
export function checkClaimedIdentity(
  claimed: ClaimedIdentity,
  today: Date,
): { ok: true; identity: ClaimedIdentity } | { ok: false; reason: string } {
  const code = claimed.code.trim().normalize('NFC').toUpperCase();
  if (claimed.codeType === HOLDER_CODE_TYPE_CITIZEN_ID) {
    const check = parseCitizenId(code, { today });
    return check.valid ? { ok: true, identity: { codeType: claimed.codeType, code } } : fail(check.reason);
  }
  if (claimed.codeType === HOLDER_CODE_TYPE_USCC) {
    const check = parseUscc(code);
    return check.valid ? { ok: true, identity: { codeType: claimed.codeType, code } } : fail(check.reason);
  }
  return fail(
    `expected holder code type 111 (citizen identity number) or 001 (USCC), found ${JSON.stringify(claimed.codeType)}`,
  );
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** A holder code as shown back to its own holder: first 4 and last 4 characters, the rest hidden. */
export function maskHolderCode(code: string): string {
  if (code.length <= 8) return '*'.repeat(code.length);
  return `${code.slice(0, 4)}${'*'.repeat(code.length - 8)}${code.slice(-4)}`;
}
