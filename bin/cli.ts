// The `elicense` command. `runCli` runs it in-process (tests call it); run as the main module
// (through bin/elicense) it reads process.argv and sets process.exitCode.
// Exit codes: 0 valid / success, 1 invalid (identifier, license) or refused, 2 usage error,
// 3 platform unreachable.
import { Argument, Command, CommanderError } from 'commander';
import { parseCitizenId } from '#core/identifiers/citizen-id.ts';
import type { IdentifierCheck } from '#core/identifiers/identifier-check.ts';
import { parseLicenseId } from '#core/identifiers/license-id.ts';
import { parseUscc } from '#core/identifiers/uscc.ts';
import { addApiCommands, CliUsageError } from './cli-api.ts';
import { addAuditCommands } from './cli-audit.ts';
import { addBootstrapCommands } from './cli-bootstrap.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The current instant; a citizen id born after it (in China Standard Time) is invalid. Default: now. */
  today?: Date;
  /** How the API commands reach the platform; the global fetch unless told. */
  fetch?: typeof globalThis.fetch;
}

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

const KINDS = ['license-id', 'uscc', 'citizen-id'] as const;
type Kind = (typeof KINDS)[number];

function check(kind: Kind, value: string, today: Date): IdentifierCheck<object> {
  switch (kind) {
    case 'license-id':
      return parseLicenseId(value);
    case 'uscc':
      return parseUscc(value);
    case 'citizen-id':
      return parseCitizenId(value, { today });
  }
}

/** Builds the program; `setExitCode` receives the outcome of a command that ran. */
export function createProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('elicense')
    .description('Electronic license sharing platform (电子证照共享平台) command line')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  program
    .command('validate')
    .description(
      'check an identifier and print {"valid", "reason"?, "parts"?} as JSON; exit 0 if valid, 1 if not',
    )
    .addArgument(new Argument('<kind>', 'what the value is').choices(KINDS))
    .argument('<value>', 'the identifier to check')
    .action((kind: Kind, value: string) => {
      const result = check(kind, value, io.today ?? new Date());
      io.out(`${JSON.stringify(result)}\n`);
      setExitCode(result.valid ? EXIT_OK : EXIT_INVALID);
    });

  addApiCommands(program, io, setExitCode);
  addAuditCommands(program, io, setExitCode);
  addBootstrapCommands(program, io, setExitCode);
  return program;
}

/** Runs the command line with the user's arguments (no node or script path); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    // Commander has already written its message; --help and --version end with exitCode 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof CliUsageError) {
      io.err(`elicense: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
