import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { UsageKeysStillActive, UsagePlanNotEnabled } from '#app/agency-usage-keys.ts';
import {
  ApplicationKeyReused,
  ApprovalAlreadyDecided,
  ApprovalLicenseIssued,
  AttachmentsTooLarge,
  EmptyResponse,
  NotTheApplicant,
  TooManyAttachments,
} from '#app/applications/application-errors.ts';
import { NoSuccessorDesignated } from '#app/designate-successor.ts';
import { LicenseNotPresentable, PresentationRequestInvalid } from '#app/holder-presentations.ts';
import {
  ChangeKeyReused,
  IssuanceKeyReused,
  IssuedLicenseChanged,
  IssuerNotRegistered,
  LicenseDataInvalid,
  LicenseIsFinal,
  LicenseSealWithdrawn,
  NotTheIssuer,
  SealKeyUnusable,
  SuccessorCannotReissue,
} from '#app/issuer-errors.ts';
import { IdentityNotProofed, ProofingAttemptsExceeded, ProofingRequestInvalid } from '#app/proof-identity.ts';
import {
  GrantRequestInvalid,
  HolderLicenseNotFound,
  LicenseNotRetrievable,
  LicenseTypeNotFound,
  RetrievalRefused,
  RetrievalRequestInvalid,
} from '#app/retrieval-errors.ts';
import { SuccessionUnresolved } from '#app/succession.ts';
import { VerificationUnavailable } from '#app/verification-errors.ts';
import {
  ApplicationActorRefused,
  ApplicationNoteRequired,
  ApplicationNotFound,
  IllegalApplicationTransition,
  LicenseIdRequired,
} from '#core/applications/errors.ts';
import {
  ApiKeyAlreadyRevoked,
  ApiKeyLimitReached,
  ApiKeyNotFound,
  CatalogCrossCheckFailed,
  DataDomainChangeRefused,
  DemoKeyRefused,
  DemoRecordRefused,
  HolderMappingChangeRefused,
  LicenseTypeChangeBreaksAgreements,
  OperatorSelfLockout,
  SealKeyAlreadyWithdrawn,
  SealKeyLimitReached,
  SealKeyNotFound,
  SealKeyNotRotatable,
} from '#core/catalog/registration-errors.ts';
import { IdentityNumberInText } from '#core/holders/identity-in-text.ts';
import { InvalidIdentifier } from '#core/identifiers/identifier-check.ts';
import {
  DocumentContentMismatch,
  DocumentNotFound,
  DocumentTooLarge,
  DocumentUploadExpired,
  DocumentUploadRejected,
  InvalidDocumentDigest,
  UnsupportedDocumentType,
} from '#core/layout-document/errors.ts';
import {
  IllegalTransition,
  InvalidTransitionInput,
  LicenseNotYetValid,
  ReasonRequired,
  VersionExhausted,
} from '#core/lifecycle.ts';
import {
  ConcurrentModification,
  DeviceKeyChangedMeanwhile,
  GrantUseRefused,
  LicenseAlreadyExists,
  LicenseNotFound,
  RecordTooLarge,
  StatusListNotFound,
  StoreBusy,
} from '#core/storage-errors.ts';
import {
  ApiKeyIdTaken,
  ConfigRecordExists,
  ConfigRecordInvalid,
  ConfigRecordNotFound,
  ConfigVersionConflict,
  LicenseTypeChanged,
  OperatorRecordChanged,
  SharingAgreementsChanged,
  SuccessionChanged,
} from '#ports/config-store.ts';
import { GrantAlreadyRevoked, GrantInvalid, GrantNotFound } from '#ports/grant-store.ts';
import { InvalidCursor } from '#ports/page.ts';
import { PresentationUnavailable } from '#ports/presentation-store.ts';
import { Sm2SigningNotBuilt } from '#ports/seal-key-provisioner.ts';
import { HttpProblem, type ProblemType } from './problem.ts';

// The one place typed domain errors become problem types (STYLE.md): a use case throws
// `LicenseNotFound`, the client reads 404 `not-found` with the error's own message as detail.
// Anything not listed stays an internal error (500, logged, no detail leaves the process).

type ErrorClass = abstract new (...args: never[]) => Error;

/** Domain error classes and the problem type each stands for. */
export type ProblemMapping = ReadonlyArray<readonly [ErrorClass, ProblemType]>;

const MAPPING: ProblemMapping = [
  [LicenseNotFound, 'not-found'],
  [StatusListNotFound, 'not-found'],
  [ConfigRecordNotFound, 'not-found'],
  [GrantNotFound, 'not-found'],
  [DocumentNotFound, 'not-found'],
  [LicenseAlreadyExists, 'conflict'],
  [ConcurrentModification, 'conflict'],
  [DeviceKeyChangedMeanwhile, 'conflict'],
  [IllegalTransition, 'conflict'],
  [VersionExhausted, 'conflict'],
  [ConfigRecordExists, 'conflict'],
  [ConfigVersionConflict, 'conflict'],
  [OperatorRecordChanged, 'conflict'],
  [LicenseTypeChanged, 'conflict'],
  [SharingAgreementsChanged, 'conflict'],
  [ApiKeyIdTaken, 'conflict'],
  [GrantAlreadyRevoked, 'conflict'],
  [GrantUseRefused, 'forbidden'],
  [ReasonRequired, 'validation-failed'],
  [InvalidTransitionInput, 'validation-failed'],
  [IdentityNumberInText, 'validation-failed'],
  [ConfigRecordInvalid, 'validation-failed'],
  [InvalidCursor, 'bad-request'],
  [InvalidDocumentDigest, 'validation-failed'],
  [DocumentContentMismatch, 'validation-failed'],
  [DocumentUploadRejected, 'validation-failed'],
  [DocumentUploadExpired, 'validation-failed'],
  [DocumentTooLarge, 'payload-too-large'],
  [UnsupportedDocumentType, 'unsupported-media-type'],
  [IssuerNotRegistered, 'forbidden'],
  [NotTheIssuer, 'forbidden'],
  [SuccessorCannotReissue, 'conflict'],
  [SealKeyUnusable, 'conflict'],
  [LicenseSealWithdrawn, 'conflict'],
  [IssuedLicenseChanged, 'conflict'],
  [SuccessionUnresolved, 'conflict'],
  [SuccessionChanged, 'conflict'],
  [NoSuccessorDesignated, 'not-found'],
  [LicenseIsFinal, 'conflict'],
  [LicenseDataInvalid, 'validation-failed'],
  [InvalidIdentifier, 'bad-request'],
  [RetrievalRefused, 'forbidden'],
  [LicenseNotRetrievable, 'conflict'],
  [LicenseNotYetValid, 'conflict'],
  [RetrievalRequestInvalid, 'validation-failed'],
  [GrantRequestInvalid, 'validation-failed'],
  [GrantInvalid, 'validation-failed'],
  [LicenseTypeNotFound, 'not-found'],
  [HolderLicenseNotFound, 'not-found'],
  [ApiKeyNotFound, 'not-found'],
  [ApiKeyAlreadyRevoked, 'conflict'],
  [ApiKeyLimitReached, 'conflict'],
  [OperatorSelfLockout, 'conflict'],
  [SealKeyNotRotatable, 'conflict'],
  [SealKeyNotFound, 'not-found'],
  [SealKeyAlreadyWithdrawn, 'conflict'],
  [SealKeyLimitReached, 'conflict'],
  [UsagePlanNotEnabled, 'conflict'],
  [UsageKeysStillActive, 'dependency-unavailable'],
  [LicenseTypeChangeBreaksAgreements, 'conflict'],
  [DataDomainChangeRefused, 'conflict'],
  [HolderMappingChangeRefused, 'conflict'],
  [CatalogCrossCheckFailed, 'validation-failed'],
  [DemoRecordRefused, 'validation-failed'],
  [DemoKeyRefused, 'validation-failed'],
  [ApplicationNotFound, 'not-found'],
  [IllegalApplicationTransition, 'conflict'],
  [ApplicationActorRefused, 'forbidden'],
  [ApplicationNoteRequired, 'validation-failed'],
  [LicenseIdRequired, 'validation-failed'],
  [NotTheApplicant, 'forbidden'],
  [ApplicationKeyReused, 'idempotency-key-reused'],
  [IssuanceKeyReused, 'idempotency-key-reused'],
  [ChangeKeyReused, 'idempotency-key-reused'],
  [ApprovalAlreadyDecided, 'conflict'],
  [ApprovalLicenseIssued, 'conflict'],
  [TooManyAttachments, 'validation-failed'],
  [EmptyResponse, 'validation-failed'],
  [AttachmentsTooLarge, 'payload-too-large'],
  [IdentityNotProofed, 'identity-not-proofed'],
  [ProofingAttemptsExceeded, 'too-many-attempts'],
  [ProofingRequestInvalid, 'validation-failed'],
  [PresentationUnavailable, 'not-found'],
  [PresentationRequestInvalid, 'validation-failed'],
  [LicenseNotPresentable, 'conflict'],
  [VerificationUnavailable, 'dependency-unavailable'],
  [StoreBusy, 'dependency-unavailable'],
  // What would be written is too large to store: the request's own content (the data issued, the
  // reason recorded), as a request no retry gets through.
  [RecordTooLarge, 'validation-failed'],
  [Sm2SigningNotBuilt, 'not-implemented'],
];

/** The problem a domain error stands for, or the error itself when it is not a domain error. */
export function asProblem(error: unknown, mapping: ProblemMapping = MAPPING): unknown {
  if (!(error instanceof Error) || error instanceof HttpProblem) return error;
  for (const [type, problem] of mapping) {
    if (error instanceof type) {
      const { code, errors, retryAfterSeconds, problemMembers } = error as {
        code?: unknown;
        errors?: unknown;
        retryAfterSeconds?: unknown;
        problemMembers?: unknown;
      };
      return new HttpProblem(problem, error.message, {
        // What the caller acts on by machine, not only in the detail's words (LicenseSealWithdrawn).
        ...(typeof problemMembers === 'object' && problemMembers !== null ? problemMembers : {}),
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof retryAfterSeconds === 'number' ? { retryAfter: retryAfterSeconds } : {}),
        // Per-field errors (LicenseDataInvalid), as parseJsonBody reports schema violations.
        ...(Array.isArray(errors) ? { errors } : {}),
      });
    }
  }
  // What the AWS SDK gave up on after its own retries — throttled, timed out, unreachable, or
  // failing on the service's side — is a dependency unavailable for now, which the caller may
  // retry; any other error (a bug, a misconfiguration, a permission missing) stays internal.
  // The SDK's own classifiers, so the answer follows the errors the SDK itself retries — but a
  // quota (KMS's key count, API Gateway's API keys: LimitExceededException, which the SDK counts
  // as throttling) is no passing load, and no retry meets it: that stays internal.
  if (isDependencyUnavailable(error)) return new HttpProblem('dependency-unavailable', STORE_UNAVAILABLE);
  return error;
}

/** Whether the AWS SDK gave up on `error` for passing trouble (asProblem says which), not a quota or a bug. */
export function isDependencyUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'LimitExceededException') return false;
  const failed = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(failed) || isTransientError(failed) || isServerError(failed);
}

/**
 * The problem one refused item of a batch stands for. An item refused with nothing written for a
 * passing reason (the store busy, the seal or device key changed under way), or one whose fate is
 * unknown (the store failed on it: it may have been issued), keeps the batch's answer from being
 * remembered under its Idempotency-Key (unsettledBatchItem), so the issuer sends the batch again
 * with the same key: its items' derived serials meet what the first run wrote. Sent in a new
 * request instead, an item gets another serial, and the holder perhaps a second license.
 */
export function asBatchItemProblem(error: unknown): unknown {
  if (error instanceof StoreBusy) {
    return new HttpProblem(
      'dependency-unavailable',
      `The store was busy and this item was not written (nothing was written for it): ${BATCH_RERUN}`,
      { code: error.code },
    );
  }
  if (error instanceof SealKeyUnusable) {
    return new HttpProblem(
      'conflict',
      `seal key ${error.kid} of agency ${error.agency} can no longer sign: nothing was written for this ` +
        'item. It was most likely withdrawn while the batch was under way; sent again it is signed ' +
        `with the key the agency record now names (if the record still names ${error.kid}, the operator ` +
        `must rotate it): ${BATCH_RERUN}`,
      { code: error.code },
    );
  }
  const problem = asProblem(error);
  if (!(problem instanceof HttpProblem) || problem.message !== STORE_UNAVAILABLE) return problem;
  return new HttpProblem(
    'dependency-unavailable',
    'A store or key service could not be reached for this item, and it may have been issued all the ' +
      `same: ${BATCH_RERUN} Not the item in a new request: that issues a second license if this one was.`,
  );
}

// The same body, not only the same key: with no answer remembered the key no longer refuses a
// changed body, and an item's derived serial follows its position, so an item moved up by a
// dropped one (a refused item left out) names another license and is issued a second time.
const BATCH_RERUN =
  'send the batch again with the same Idempotency-Key and the same body, every item in its place ' +
  '(the refused ones too: an item’s serial follows its position, so an item moved by one left out ' +
  'is another license, and its holder would get a second one). Its answer is not remembered while ' +
  'an item is like this one, so the batch runs again: an item already issued is answered as issued, ' +
  'never issued twice, and one not issued is issued now.';

/**
 * Whether a batch item's outcome keeps the batch's answer from being remembered: its fate unknown
 * (a 5xx: it may have been written) or nothing written for a passing reason, which the batch sent
 * again under its key settles (asBatchItemProblem tells the issuer so).
 */
export function unsettledBatchItem(error: unknown): boolean {
  if (error instanceof SealKeyUnusable || error instanceof DeviceKeyChangedMeanwhile) return true;
  const problem = asBatchItemProblem(error);
  return !(problem instanceof HttpProblem) || problem.status >= 500;
}

/** Said of a failure the platform cannot place: the call may have reached the store before it. */
const STORE_UNAVAILABLE =
  'A store or key service the platform depends on is busy or cannot be reached now, and the ' +
  'request may have been carried out before it failed: with an Idempotency-Key, send it again ' +
  'with the same key; without one, check what it did before sending it again.';
