// Counts the commands a KMS client sends, by name, for the call-budget tests and the bench.
// A middleware on the client itself: every path that uses the client (our adapters, the
// Encryption SDK's keyring routed through it) is counted, and nothing can go around it.
import type { KMSClient } from '@aws-sdk/client-kms';

export interface KmsCommandCounter {
  /** Sends so far, by command name without the `Command` suffix: `{ Sign: 1000, GenerateDataKey: 1 }`. */
  readonly counts: Readonly<Record<string, number>>;
  /** How many of this command were sent, e.g. `count('Decrypt')`. */
  count(command: string): number;
  reset(): void;
}

/** Adds a counting middleware to `kms` and returns its counter. */
export function countKmsCommands(kms: KMSClient): KmsCommandCounter {
  const counts: Record<string, number> = {};
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    // The deserialize step runs below the retry middleware: every attempt is counted, as KMS
    // counts them against its request quotas.
    { step: 'deserialize', name: 'elicenseKmsCommandCounter' },
  );
  return {
    counts,
    count: (command) => counts[command] ?? 0,
    reset: () => {
      for (const name of Object.keys(counts)) delete counts[name];
    },
  };
}
