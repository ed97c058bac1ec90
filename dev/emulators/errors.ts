// Typed errors of the local emulators, with stable codes for callers (npm start, test setups).

/** A tool the emulators need is missing or too old on this machine. */
export class MissingPrerequisiteError extends Error {
  readonly code = 'EMULATOR_PREREQUISITE_MISSING';
  /** What is missing, e.g. "Java 17+". */
  readonly prerequisite: string;

  constructor(prerequisite: string, found: string, howToInstall: string) {
    super(`missing prerequisite: ${prerequisite} — ${found}. ${howToInstall}`);
    this.name = 'MissingPrerequisiteError';
    this.prerequisite = prerequisite;
  }
}

/** An emulator did not start, did not answer in time, or exited early. */
export class EmulatorStartError extends Error {
  readonly code = 'EMULATOR_START_FAILED';
  readonly emulator: string;

  constructor(emulator: string, message: string, options?: ErrorOptions) {
    super(`${emulator}: ${message}`, options);
    this.name = 'EmulatorStartError';
    this.emulator = emulator;
  }
}
