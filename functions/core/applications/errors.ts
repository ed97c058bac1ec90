// Refusals of license applications, each with a stable `code`; functions/http/domain-problems.ts
// maps them to problem types.

/** The action is not allowed from the application's current state (or the state is final). */
export class IllegalApplicationTransition extends Error {
  readonly code = 'ILLEGAL_APPLICATION_TRANSITION';
  readonly applicationId: string;
  readonly action: string;
  readonly state: string;
  constructor(applicationId: string, action: string, state: string, allowedFrom: readonly string[]) {
    super(
      `application ${applicationId} is ${state}; ${action} is allowed only from ${allowedFrom.join(' or ')}`,
    );
    this.name = 'IllegalApplicationTransition';
    this.applicationId = applicationId;
    this.action = action;
    this.state = state;
  }
}

/** The action belongs to the other party (the holder withdraws, the agency decides). */
export class ApplicationActorRefused extends Error {
  readonly code = 'APPLICATION_ACTOR_REFUSED';
  readonly applicationId: string;
  readonly action: string;
  constructor(applicationId: string, action: string, expected: 'holder' | 'agency') {
    super(
      `application ${applicationId}: ${action} is for the ${expected === 'holder' ? 'applying holder' : 'agency it is addressed to'} only`,
    );
    this.name = 'ApplicationActorRefused';
    this.applicationId = applicationId;
    this.action = action;
  }
}

/** Asking for more information and rejecting must say what is needed, or why. */
export class ApplicationNoteRequired extends Error {
  readonly code = 'APPLICATION_NOTE_REQUIRED';
  readonly action: string;
  constructor(action: string) {
    super(
      `${action} needs a ${action === 'reject' ? 'reason' : 'note saying what is needed'}, found none (or only blanks)`,
    );
    this.name = 'ApplicationNoteRequired';
    this.action = action;
  }
}

/** Recording the license an approval issued needs its id. */
export class LicenseIdRequired extends Error {
  readonly code = 'LICENSE_ID_REQUIRED';
  constructor(applicationId: string) {
    super(`recording the license of application ${applicationId} needs its id, found none`);
    this.name = 'LicenseIdRequired';
  }
}

/** No such application — or one the caller may not see, which reads the same. */
export class ApplicationNotFound extends Error {
  readonly code = 'APPLICATION_NOT_FOUND';
  readonly applicationId: string;
  constructor(applicationId: string) {
    super(`no application ${applicationId}`);
    this.name = 'ApplicationNotFound';
    this.applicationId = applicationId;
  }
}
