// `elicense bootstrap blind-index-key` makes the stage's blind-index key blob (below).
// `elicense bootstrap operator`: registers the first operator agency of a fresh stage, writing
// its config and audit tables directly with the caller's AWS credentials (see cli-stage.ts) —
// the one registration no signed API call can make, since none can be signed before it.
// With `--usage-plan`, the operator also gets its API Gateway usage key on the stage's plan, as
// registration gives every other agency its key: on a metered stage no agency route answers
// without one, and no signed call could ask for the first.
// Exit codes: 0 registered, 1 refused (an operator exists, the USCC or key id is taken),
// 2 usage error or unusable input (or no such usage plan), 3 storage or API Gateway unreachable
// (after the key was issued, the write may or may not have landed).

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Command, Option } from 'commander';
import { ApiGatewayUsageKeys, UsagePlanNotFound } from '#adapters/aws/api-gateway-usage-keys.ts';
import { createBlindIndexKeyBlob } from '#adapters/aws/blind-indexer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { physicalTableName } from '#adapters/aws/tables.ts';
import {
  bootstrapOperator,
  OperatorAlreadyRegistered,
  OperatorBootstrapInvalid,
} from '#app/bootstrap-operator.ts';
import {
  ApiKeyIdTaken,
  ConfigRecordExists,
  ConfigRecordInvalid,
  ConfigVersionConflict,
  RegistryAlreadyBootstrapped,
} from '#ports/config-store.ts';
import type { UsageKey, UsageKeys } from '#ports/usage-keys.ts';
import { addStageOptions, resolveStage, type StageOptions, sdkClientConfig } from './cli-stage.ts';

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 3;

const ALGORITHMS = ['ecdsa-p256-sha256', 'ed25519'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

export interface BootstrapIo {
  out(text: string): void;
  err(text: string): void;
}

interface OperatorOptions extends StageOptions {
  uscc: string;
  name: string;
  areaCode: string;
  keyId: string;
  publicKey?: string;
  generateKey?: string;
  algorithm: Algorithm;
  /** The usage plan's name; `true` (the flag alone) for the stack's `elicense-<stage>-agencies`. */
  usagePlan?: string | true;
}

/** The name the stack gives a stage's agency usage plan (lib/stateless-stack.ts). */
const stackUsagePlanName = (stage: string) => `elicense-${stage}-agencies`;

/** The usage key could not be made, so nothing was registered. */
class UsageKeyNotIssued extends Error {
  constructor(plan: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`could not issue the usage key on plan ${plan}: ${reason}`, { cause });
    this.name = 'UsageKeyNotIssued';
  }
}

export function addBootstrapCommands(
  program: Command,
  io: BootstrapIo,
  setExitCode: (code: number) => void,
): void {
  const bootstrap = program.command('bootstrap').description('one-time set-up of a fresh stage');
  const operator = bootstrap
    .command('operator')
    .description(
      'register the first operator agency (role operator) and its audit event, directly in the stage tables; refused once any operator exists. Exit 0 registered, 1 refused, 2 bad input, 3 storage unreachable',
    )
    .requiredOption('--uscc <USCC>', 'unified social credit code of the operator agency (18 characters)')
    .requiredOption('--name <name>', 'registered name of the operator agency')
    .requiredOption('--area-code <code>', 'administrative area code (GB/T 2260), 6 digits')
    .requiredOption('--key-id <id>', 'id of its request-signing key (the RFC 9421 keyid)')
    .addOption(
      new Option(
        '--public-key <file>',
        'its request-signing public key as a JWK file (P-256 or Ed25519)',
      ).conflicts('generateKey'),
    )
    .option(
      '--generate-key <file>',
      'make the key pair here instead, writing the private key file (mode 0600) for `elicense call --key`',
    )
    .addOption(
      new Option('--algorithm <alg>', 'algorithm of a generated key')
        .choices(ALGORITHMS)
        .default(ALGORITHMS[0]),
    )
    .option(
      '--usage-plan [name]',
      "also issue the operator's API Gateway usage key (x-api-key) on this usage plan of the stage, needed where the stage has agencyUsagePlan; the flag alone names the stack's plan, elicense-<stage>-agencies. Its value is printed once (and written to the --generate-key file as apiKey)",
    );
  addStageOptions(operator, 'config and audit tables to write').action(async (options: OperatorOptions) => {
    setExitCode(await bootstrapOperatorCommand(io, options));
  });

  bootstrap
    .command('blind-index-key')
    .description(
      "make the stage's blind-index HMAC key, encrypted under its field key, and print it (base64) for the stage configuration's blindIndexKeyBlob; run once per stage, never again on a stage with data. Exit 0 printed, 3 KMS refused or unreachable",
    )
    .requiredOption('--key-id <arn>', "the stage's field key (the FieldKeyArn output of the stateful stack)")
    .action(async ({ keyId }: { keyId: string }) => {
      // The blob is bound to its use by an encryption context the functions decrypt it with (and
      // their IAM condition names): made any other way, no holder lookup would work.
      const blob = await createBlindIndexKeyBlob(new KMSClient({}), keyId).catch((error: Error) => error);
      if (blob instanceof Error) {
        io.err(`elicense: KMS did not make the key: ${blob.name}: ${blob.message}\n`);
        return setExitCode(EXIT_UNREACHABLE);
      }
      io.out(`${Buffer.from(blob).toString('base64')}\n`);
      setExitCode(0);
    });
}

async function bootstrapOperatorCommand(io: BootstrapIo, options: OperatorOptions): Promise<number> {
  const fail = (code: number, message: string) => {
    io.err(`elicense: ${message}\n`);
    return code;
  };
  if ((options.publicKey === undefined) === (options.generateKey === undefined)) {
    return fail(EXIT_USAGE, 'name the key: --public-key <jwk file>, or --generate-key <out file>');
  }
  const resolved = await resolveStage(options);
  if (resolved instanceof Error) return fail(EXIT_USAGE, resolved.message);
  if (options.usagePlan !== undefined && resolved.local) {
    return fail(
      EXIT_USAGE,
      'the local platform has no API Gateway: it issues no usage keys (drop --usage-plan)',
    );
  }
  const usagePlan = options.usagePlan === true ? stackUsagePlanName(resolved.stage) : options.usagePlan;

  let publicJwk: unknown;
  let keyFileContent: Record<string, unknown> | undefined;
  if (options.publicKey !== undefined) {
    const text = await readFile(options.publicKey, 'utf8').catch((error: Error) => error);
    if (text instanceof Error) return fail(EXIT_USAGE, `cannot read ${options.publicKey}: ${text.message}`);
    try {
      publicJwk = JSON.parse(text);
    } catch {
      return fail(EXIT_USAGE, `${options.publicKey} is not JSON; expected a public JWK`);
    }
  } else {
    const written = await writeKeyFile(options.generateKey!, options).catch((error: Error) => error);
    if (written instanceof Error) {
      return fail(EXIT_USAGE, `cannot write the key file ${options.generateKey}: ${written.message}`);
    }
    ({ publicJwk, content: keyFileContent } = written);
  }
  // A generated key nobody is registered with is of no use: removed when the write is refused.
  const discardKeyFile = async () => {
    if (options.generateKey !== undefined) await rm(options.generateKey, { force: true });
  };

  const client = new DynamoDBClient(sdkClientConfig(resolved.env, 'DYNAMODB'));
  const apiGateway =
    usagePlan === undefined ? undefined : new APIGatewayClient(sdkClientConfig(resolved.env, 'API_GATEWAY'));
  // The key issued, kept here to name it if the registry's answer never comes.
  let issued: UsageKey | undefined;
  const usageKeys: UsageKeys | undefined =
    apiGateway && usagePlan !== undefined
      ? issuingOnce(
          new ApiGatewayUsageKeys({
            client: apiGateway,
            stage: resolved.stage,
            usagePlan: { name: usagePlan },
          }),
          usagePlan,
          (key) => {
            issued = key;
          },
        )
      : undefined;
  try {
    const config = new DynamoConfigStore(
      DynamoDBDocumentClient.from(client),
      physicalTableName(resolved.stage, { name: 'config' }),
      { auditTable: physicalTableName(resolved.stage, { name: 'audit' }) },
    );
    const saved = await bootstrapOperator(
      {
        uscc: options.uscc,
        name: options.name,
        areaCode: options.areaCode,
        keyId: options.keyId,
        publicJwk,
      },
      {
        config,
        stage: resolved.stage,
        now: () => new Date(),
        newEventId: () => `bootstrap-${randomUUID()}`,
        ...(usageKeys ? { usageKeys } : {}),
      },
    );
    if (saved.usageKey && options.generateKey !== undefined && keyFileContent) {
      const content = { ...keyFileContent, apiKey: saved.usageKey.value };
      const rewritten = await writeFile(options.generateKey, `${JSON.stringify(content, null, 2)}\n`, {
        mode: 0o600,
      }).catch((error: Error) => error);
      if (rewritten instanceof Error) {
        io.err(
          `elicense: registered, but could not add the usage key to ${options.generateKey}: ${rewritten.message}\n`,
        );
      }
    }
    const [key] = saved.value.apiKeys;
    io.out(
      `${JSON.stringify(
        {
          stage: resolved.stage,
          agency: saved.value.uscc,
          name: saved.value.name,
          roles: saved.value.roles,
          keyId: key?.keyId,
          algorithm: key?.algorithm,
          ...(options.generateKey === undefined ? {} : { keyFile: options.generateKey }),
          // The value is shown this once: API Gateway keeps it, the registry and the audit log do not.
          ...(saved.usageKey ? { usagePlan, usageKey: saved.usageKey } : {}),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageKeyNotIssued) {
      await discardKeyFile();
      const code = error.cause instanceof UsagePlanNotFound ? EXIT_USAGE : EXIT_UNREACHABLE;
      return fail(code, `${error.message}; nothing registered`);
    }
    if (error instanceof OperatorBootstrapInvalid || error instanceof ConfigRecordInvalid) {
      await discardKeyFile();
      return fail(EXIT_USAGE, error.message);
    }
    if (
      error instanceof OperatorAlreadyRegistered ||
      error instanceof RegistryAlreadyBootstrapped ||
      error instanceof ConfigRecordExists ||
      // A create cancelled by a concurrent write to the same record: nothing of it was written.
      error instanceof ConfigVersionConflict ||
      error instanceof ApiKeyIdTaken
    ) {
      await discardKeyFile();
      return fail(EXIT_REFUSED, `refused, nothing changed: ${error.message}`);
    }
    const keptFile =
      options.generateKey === undefined ? '' : ` (the key file ${options.generateKey} is kept)`;
    const keptKey = issued
      ? `; the usage key ${issued.id} stays on plan ${usagePlan} (its value: \`aws apigateway get-api-key --api-key ${issued.id} --include-value\`)`
      : '';
    const kept = `${keptFile}${keptKey}`;
    return fail(
      EXIT_UNREACHABLE,
      `could not write the registry; check with \`elicense call GET /agencies\` whether it landed${kept}: ${(error as Error).name}: ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
    apiGateway?.destroy();
  }
}

/** The plan's keys, reporting the key issued and telling a failed issue from a failed write. */
function issuingOnce(keys: UsageKeys, plan: string, onIssued: (key: UsageKey) => void): UsageKeys {
  return {
    issue: async (agency) => {
      const key = await keys.issue(agency).catch((error: unknown) => {
        throw new UsageKeyNotIssued(plan, error);
      });
      if (key) onIssued(key);
      return key;
    },
    list: (agency) => keys.list(agency),
    withdraw: (keyId) => keys.withdraw(keyId),
  };
}

/**
 * Generates the operator's key pair and writes the private half in the key-file format of
 * `npm start` (`{agency, name, algorithm, jwk}`, mode 0600), refusing to overwrite a file;
 * resolves to the public JWK and what the file holds. Written before the registry, so a
 * registered key always has its file.
 */
async function writeKeyFile(
  file: string,
  options: OperatorOptions,
): Promise<{ publicJwk: Record<string, unknown>; content: Record<string, unknown> }> {
  const pair =
    options.algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: options.keyId };
  const content = { agency: options.uscc, name: options.name, algorithm: options.algorithm, jwk };
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return { publicJwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>, content };
}
