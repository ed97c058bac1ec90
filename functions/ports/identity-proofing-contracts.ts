import type { Assurance } from '#core/holders/identity.ts';

// Contracts for identity-proofing providers the platform does NOT connect to: an integrator
// implements them against a licensed service and wraps the result as an IdentityProofingProvider
// (ports/identity-proofing.ts). Nothing in this repository implements them; see
// docs/identity-proofing.md for the fields, the assurance each earns and what to build.

// ── Bank-card four-factor verification (银行卡四要素) ─────────────────────────────────────
// Name, citizen identity number, bank card number and the card's reserved phone number are
// checked together against the issuing bank (through a licensed aggregator such as UnionPay's
// verification service). The phone number is confirmed with an SMS one-time code first.

export interface BankCardFourFactorRequest {
  /** 姓名, as on the ID card. */
  name: string;
  /** 公民身份号码, 18 characters (code type 111 only). */
  citizenId: string;
  /** 银行卡号, 12–19 digits (Luhn-valid). */
  cardNumber: string;
  /** 预留手机号, the number registered with the bank, 11 digits. */
  reservedPhone: string;
  /** The SMS code the phone received from the aggregator's previous step. */
  smsCode: string;
  /** Caller-chosen id the aggregator echoes, for reconciliation; never reused. */
  requestId: string;
}

export type BankCardFourFactorResponse =
  | { outcome: 'match'; requestId: string /** Aggregator's transaction reference. */; reference: string }
  | {
      outcome: 'mismatch';
      requestId: string;
      reference: string;
      /** Which factors disagree, when the aggregator says (many say only "mismatch"). */
      mismatched?: ('name' | 'citizenId' | 'cardNumber' | 'reservedPhone')[];
    };

/** Why the aggregator gave no match/mismatch answer. */
export type BankCardFourFactorError =
  | { code: 'sms-code-invalid' | 'sms-code-expired' } // holder error: ask for a new code
  | { code: 'card-not-supported' } // the card's bank or type is not covered (e.g. credit card, foreign)
  | { code: 'card-status' } // card frozen, cancelled or lost: cannot be used to prove identity
  | { code: 'too-many-attempts' } // aggregator rate limit for this card or identity
  | { code: 'unavailable'; retryAfterSeconds?: number }; // bank or aggregator down

export interface BankCardFourFactorVerifier {
  /** Sends the SMS code to the reserved phone; resolves when sent. */
  sendSmsCode(request: { cardNumber: string; reservedPhone: string; requestId: string }): Promise<void>;
  /** Rejects with a BankCardFourFactorError (as the error's `cause`) when there is no answer. */
  verify(request: BankCardFourFactorRequest): Promise<BankCardFourFactorResponse>;
}

/** The level a match earns: the bank did a real-name check at account opening (KYC). */
export const BANK_CARD_FOUR_FACTOR_ASSURANCE: Assurance = 'substantial';

// ── SIM phone shield (SIM盾) ────────────────────────────────────────────────────────────
// A key pair generated inside the SIM card's secure element by the mobile operator, issued to
// the subscriber after in-person real-name registration (实名制); the operator's CA certifies
// the public key with the subscriber's identity. Proofing = the platform sends a challenge, the
// operator's gateway pushes it to the SIM, the holder confirms with the SIM PIN, the SIM signs.

export interface SimShieldChallengeRequest {
  /** The holder's mobile number, 11 digits. */
  msisdn: string;
  /** What the holder sees on the phone before confirming, e.g. "电子证照平台实名核验". */
  displayText: string;
  /** 32 random bytes, base64url, made by the platform; the SIM signs over it. */
  challenge: string;
  requestId: string;
}

export type SimShieldResponse =
  | {
      outcome: 'signed';
      requestId: string;
      /** Signature over the challenge, made in the SIM (SM2 or ECDSA P-256). */
      signature: string;
      /** The SIM key's certificate chain from the operator's CA, base64 DER, leaf first. */
      certificateChain: string[];
    }
  | { outcome: 'declined'; requestId: string } // the holder refused on the phone
  | { outcome: 'timeout'; requestId: string }; // no confirmation in time (typically 60–120 s)

export type SimShieldError =
  | { code: 'not-subscribed' } // the SIM has no shield applet or the number no shield service
  | { code: 'pin-locked' } // too many wrong PINs: the holder must go to the operator
  | { code: 'unreachable' } // phone off or out of coverage
  | { code: 'unavailable'; retryAfterSeconds?: number };

export interface SimShieldGateway {
  /** Pushes the challenge and waits for the answer; rejects with a SimShieldError as `cause`. */
  sign(request: SimShieldChallengeRequest): Promise<SimShieldResponse>;
}

/**
 * A verified signature whose certificate (operator CA, not revoked) names the claimed identity
 * earns `high`: possession of a hardware key issued after in-person registration.
 */
export const SIM_SHIELD_ASSURANCE: Assurance = 'high';
