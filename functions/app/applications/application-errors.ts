// Refusals of the application use cases beyond the state machine's own (core/applications/errors.ts).

/** The applicant may apply only as the identity its account is proofed as, never in another's name. */
export class NotTheApplicant extends Error {
  readonly code = 'NOT_THE_APPLICANT';
  constructor(detail: string) {
    super(`an application is made in the applicant's own proofed identity: ${detail}`);
    this.name = 'NotTheApplicant';
  }
}

/** An Idempotency-Key the account already used for another application request. */
export class ApplicationKeyReused extends Error {
  readonly code = 'APPLICATION_KEY_REUSED';
  constructor() {
    super(
      'this Idempotency-Key was used with another application request: use a new key for a new application',
    );
    this.name = 'ApplicationKeyReused';
  }
}

/** More attachments than a request or an application may carry. */
export class TooManyAttachments extends Error {
  readonly code = 'TOO_MANY_ATTACHMENTS';
  constructor(found: number, limit: number, scope: 'per request' | 'per application') {
    super(`expected at most ${limit} attachments ${scope}, found ${found}`);
    this.name = 'TooManyAttachments';
  }
}

/** A response to a request for information that adds nothing. */
export class EmptyResponse extends Error {
  readonly code = 'EMPTY_RESPONSE';
  constructor() {
    super('expected a note, changed data or attachments in the response, found none');
    this.name = 'EmptyResponse';
  }
}

/** An attachment, or all of one request's together, larger than allowed. */
export class AttachmentsTooLarge extends Error {
  readonly code = 'ATTACHMENTS_TOO_LARGE';
  constructor(size: number, limit: number, what: 'an attachment' | 'the attachments of one request') {
    super(`expected ${what} of at most ${limit} bytes, found ${size}`);
    this.name = 'AttachmentsTooLarge';
  }
}

/**
 * An approval that was decided already carries data, validity or a note of its own — or, under
 * If-Match of the version before the decision (`approvingVersion`), not the terms of a decision
 * that changed the data.
 */
export class ApprovalAlreadyDecided extends Error {
  readonly code = 'APPROVAL_ALREADY_DECIDED';
  constructor(applicationId: string, approvingVersion?: number) {
    super(
      approvingVersion === undefined
        ? `application ${applicationId} is approving: a decision was recorded already, and its license is issued with the data, validity and note that decision recorded; nothing of this approval was recorded — approve again without data, validity or another note (or with exactly the terms decided) to finish it`
        : `application ${applicationId} is approving: a decision recorded after the version you read changed the data, and its license is issued with that data, which you have not seen; nothing of this approval was recorded — read it again (GET /applications/${applicationId} shows data as decided and applied as the holder applied) and approve with If-Match: "${approvingVersion}" to finish it`,
    );
    this.name = 'ApprovalAlreadyDecided';
  }
}

/** A rejection or withdrawal of an approving application whose license was written already. */
export class ApprovalLicenseIssued extends Error {
  readonly code = 'APPROVAL_LICENSE_ISSUED';
  constructor(applicationId: string, licenseId: string) {
    super(
      `application ${applicationId} is approving and its license ${licenseId} was issued: it can no longer be rejected or withdrawn — approving it again records that license, which the agency may then suspend or revoke`,
    );
    this.name = 'ApprovalLicenseIssued';
  }
}
