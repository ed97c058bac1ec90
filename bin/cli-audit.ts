// `elicense audit verify`: checks a stage's stored audit events against its sealed checkpoints,
// reading the stage's tables and archive bucket directly with the caller's AWS credentials
// (endpoints from the SDK's AWS_ENDPOINT_URL* variables, so LocalStack and emulators work), or
// those of a local platform (`--local`, from the endpoints file `npm start` writes).
// Exit codes: 0 no findings, 1 findings, 2 usage error (a --jwks that is no JWKS among them),
// 3 storage or keys unreachable.

import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import {
  AUDIT_SEAL_GROUP_COUNTS,
  type AuditSealGroupCount,
  auditLogIdOf,
  auditSealGroupCountOf,
  auditSealGroups,
  isAuditSealGroupCount,
} from '#adapters/aws/audit-seal-groups.ts';
import { archivedLogIds, DynamoAuditSealStore, sealLayoutStores } from '#adapters/aws/audit-seal-store.ts';
import { awsBucketName, localBucketName } from '#adapters/aws/buckets.ts';
import { KmsSigningKeys } from '#adapters/aws/kms-signer.ts';
import { physicalTableName } from '#adapters/aws/tables.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { sealedLayoutsBesides } from '#app/seal-audit-log.ts';
import { AuditRangeInvalid, verifyAuditLogGroups } from '#app/verify-audit-log.ts';
import type { PublicJwk } from '#core/jws.ts';
import { addStageOptions, resolveStage, type StageOptions, sdkClientConfig } from './cli-stage.ts';

export const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 3;

export interface AuditIo {
  out(text: string): void;
  err(text: string): void;
}

interface VerifyOptions extends StageOptions {
  from: Date;
  to: Date;
  platformKey?: string;
  jwks?: string;
  archiveBucket?: string;
  account?: string;
  sealGroups?: AuditSealGroupCount;
}

export function addAuditCommands(program: Command, io: AuditIo, setExitCode: (code: number) => void): void {
  const audit = program.command('audit').description('the sealed audit log');
  const verifyCommand = audit
    .command('verify')
    .description(
      'check stored audit events against their signed checkpoints and print every changed, missing, inserted or reordered event as JSON; exit 0 if none, 1 if any',
    )
    .requiredOption('--from <time>', 'start of the range, RFC 3339 (inclusive)', parseInstant)
    .requiredOption('--to <time>', 'end of the range, RFC 3339 (exclusive)', parseInstant);
  addStageOptions(verifyCommand, 'tables and bucket to read')
    .option(
      '--platform-key <kms key>',
      'the platform signing key in KMS (id, ARN or alias) whose public key checks checkpoints (env ELICENSE_PLATFORM_KEY_ID)',
      process.env.ELICENSE_PLATFORM_KEY_ID,
    )
    .option(
      '--jwks <url or file>',
      "a JWKS with the platform's checkpoint keys (e.g. the stage's /.well-known/jwks.json)",
    )
    .option(
      '--archive-bucket <name>',
      'the audit archive bucket (env BUCKET_AUDIT_ARCHIVE)',
      process.env.BUCKET_AUDIT_ARCHIVE,
    )
    .option('--account <id>', 'AWS account of the stage, to name its archive bucket')
    .option(
      '--seal-groups <count>',
      `the chains (seal groups) the log is sealed as: ${AUDIT_SEAL_GROUP_COUNTS.join(', ')} (default: the one layout the stage has sealed events in; else, nothing sealed, the local platform's, else 1; refused when the stage has chains, but none of this count)`,
      parseSealGroups,
    )
    .action(async (options: VerifyOptions) => {
      setExitCode(await verify(io, options));
    });
}

async function verify(io: AuditIo, options: VerifyOptions): Promise<number> {
  if (options.from >= options.to) {
    io.err('elicense: --from must be before --to\n');
    return EXIT_USAGE;
  }
  const resolved = await resolveStage(options);
  if (resolved instanceof Error) {
    io.err(`elicense: ${resolved.message}\n`);
    return EXIT_USAGE;
  }
  const { stage, local, env } = resolved;
  const bucket =
    options.archiveBucket ??
    (local !== undefined
      ? localBucketName(stage, { name: 'audit-archive' })
      : options.account !== undefined
        ? awsBucketName(stage, { name: 'audit-archive' }, options.account)
        : undefined);
  if (bucket === undefined) {
    io.err('elicense: name the archive bucket: --archive-bucket, --account, or --local\n');
    return EXIT_USAGE;
  }
  if (local === undefined && options.platformKey === undefined && options.jwks === undefined) {
    io.err('elicense: name the checkpoint keys: --platform-key, --jwks, or --local\n');
    return EXIT_USAGE;
  }

  // The flag, checked against what the stage has; the local platform's own count only where the
  // stage has sealed nothing yet.
  const localGroups =
    local?.auditSealGroups === undefined ? 1 : parseSealGroups(String(local.auditSealGroups));

  const clients = sdkClients(env);
  try {
    const publicJwks = await checkpointKeys(options, local?.keyVaultDir, clients.kms);
    const documents = DynamoDBDocumentClient.from(clients.dynamodb);
    const sealsTable = physicalTableName(stage, { name: 'audit-seals' });
    const count = sealLayoutToVerify(
      options.sealGroups,
      await sealedLayouts(documents, sealsTable, { s3: clients.s3, bucket }, stage),
      localGroups,
    );
    const chains = auditSealGroups(stage, count).map((group) => ({
      logId: group.logId,
      log: new DynamoAuditLogReader(documents, physicalTableName(stage, { name: 'audit' }), {
        shards: group.shards,
      }),
      seals: new DynamoAuditSealStore({
        documents,
        table: sealsTable,
        logId: group.logId,
        archive: { s3: clients.s3, bucket },
      }),
    }));
    const report = await verifyAuditLogGroups({ from: options.from, to: options.to }, { chains, publicJwks });
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : EXIT_FINDINGS;
  } catch (error) {
    if (error instanceof AuditRangeInvalid || error instanceof SealLayoutRefused) {
      io.err(`elicense: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof JwksUnusable) {
      io.err(`elicense: ${error.message}\n`);
      return error.exitCode;
    }
    if (local !== undefined && connectionRefused(error)) {
      // The endpoints file outlives the platform: its emulators' ports are dead once it stops.
      const last = local.url === undefined ? '' : ` it answered on port ${new URL(local.url).port} last time`;
      io.err(
        `elicense: the local platform of ${local.dataDir} does not answer: is npm start running?${last}\n`,
      );
      return EXIT_UNREACHABLE;
    }
    io.err(`elicense: could not read the audit log: ${(error as Error).name}: ${(error as Error).message}\n`);
    return EXIT_UNREACHABLE;
  } finally {
    clients.dynamodb.destroy();
    clients.s3.destroy();
    clients.kms.destroy();
  }
}

function parseSealGroups(value: string): AuditSealGroupCount {
  const count = Number(value);
  if (!/^\d{1,2}$/.test(value) || !isAuditSealGroupCount(count)) {
    throw new InvalidArgumentError(`expected one of ${AUDIT_SEAL_GROUP_COUNTS.join(', ')}`);
  }
  return count;
}

/** A seal-group count that the stage's chains do not bear out, or none where the stage has chains of several. */
class SealLayoutRefused extends Error {
  override name = 'SealLayoutRefused';
}

/**
 * The seal-group layouts whose chains the stage has: a chain in the write-once archive or a
 * chain head in the table. The archive, not only the heads: deleting a layout's heads from the
 * table must not make the verifier read another layout, whose chains would hold none of the
 * events. One read per possible chain head (63), side by side, and one archive listing.
 */
async function sealedLayouts(
  documents: DynamoDBDocumentClient,
  table: string,
  archive: { s3: S3Client; bucket: string },
  stage: string,
): Promise<AuditSealGroupCount[]> {
  const archived = new Set<AuditSealGroupCount>();
  for (const logId of await archivedLogIds(archive, auditLogIdOf(stage))) {
    const count = auditSealGroupCountOf(stage, logId);
    if (count !== undefined) archived.add(count);
  }
  // Sealed as the sealer counts it (sealedLayoutsBesides): a chain with a batch, or a head that
  // does not read back (the verify reports it); runs that met no event hold nothing to verify.
  const inTable = await sealedLayoutsBesides(sealLayoutStores(documents, table, stage));
  return AUDIT_SEAL_GROUP_COUNTS.filter((count) => archived.has(count) || inTable.includes(count));
}

/**
 * The count to verify: the one given, if the stage has chains of it or none at all (nothing
 * sealed yet); else the stage's one layout, else the local platform's count, else 1. A count the
 * stage has no chains of, while it has others, would read every event as pending and answer ok:
 * refused.
 */
function sealLayoutToVerify(
  given: AuditSealGroupCount | undefined,
  layouts: readonly AuditSealGroupCount[],
  fallback: AuditSealGroupCount,
): AuditSealGroupCount {
  const described = () => layouts.join(' and ');
  if (given !== undefined) {
    if (layouts.length > 0 && !layouts.includes(given)) {
      throw new SealLayoutRefused(
        `the stage has no chains of ${given} seal groups; it has chains of ${described()} seal groups`,
      );
    }
    return given;
  }
  if (layouts.length > 1) {
    throw new SealLayoutRefused(
      `the stage has chains of ${described()} seal groups, where a stage's count is fixed once it has sealed: name the one to verify with --seal-groups`,
    );
  }
  return layouts[0] ?? fallback;
}

/** A connection nothing listened for (Node's net error, alone or among a happy-eyeballs attempt's). */
function connectionRefused(error: unknown): boolean {
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  return code === 'ECONNREFUSED' || (Array.isArray(errors) && errors.some(connectionRefused));
}

/** SDK clients; a local platform's settings override the process environment's. */
function sdkClients(env: Record<string, string>) {
  const pathStyle = (env.ELICENSE_S3_FORCE_PATH_STYLE ?? process.env.ELICENSE_S3_FORCE_PATH_STYLE) === 'true';
  return {
    dynamodb: new DynamoDBClient(sdkClientConfig(env, 'DYNAMODB')),
    s3: new S3Client({
      ...sdkClientConfig(env, 'S3'),
      forcePathStyle: pathStyle,
      ...(env.AWS_REQUEST_CHECKSUM_CALCULATION === 'WHEN_REQUIRED'
        ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {}),
    }),
    kms: new KMSClient(sdkClientConfig(env, 'KMS')),
  };
}

/** The keys checkpoints are checked with: from a JWKS, the KMS platform key, or the local vault. */
async function checkpointKeys(
  options: VerifyOptions,
  keyVaultDir: string | undefined,
  kms: KMSClient,
): Promise<PublicJwk[]> {
  if (options.jwks !== undefined) return jwksKeys(options.jwks);
  if (options.platformKey !== undefined) {
    const key = await new KmsSigningKeys({ kms, platformKeyId: options.platformKey }).platformKey();
    return [key.publicJwk];
  }
  const vault = await LocalKeyVault.open({ dir: keyVaultDir! });
  return [(await vault.platformKey()).publicJwk];
}

/**
 * A `--jwks` that gave no usable keys, naming where it came from: a usage error (exit 2) for a
 * wrong URL or file, 3 when the server could not answer — not the audit log's storage.
 */
class JwksUnusable extends Error {
  override name = 'JwksUnusable';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_USAGE) {
    // One line: a parser's message may quote the file's own lines.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.exitCode = exitCode;
  }
}

const Jwks = z.object({ keys: z.array(z.looseObject({ kid: z.string(), owner: z.string().optional() })) });

/** The platform's keys of the JWKS at `source`, a URL or a file. */
async function jwksKeys(source: string): Promise<PublicJwk[]> {
  const text = /^https?:\/\//i.test(source) ? await jwksAnswer(source) : await jwksFile(source);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new JwksUnusable(`the JWKS from ${source} is not JSON: ${(error as Error).message}`);
  }
  const jwks = Jwks.safeParse(json);
  if (!jwks.success)
    throw new JwksUnusable(`the JWKS from ${source} has no keys: ${z.prettifyError(jwks.error)}`);
  // The platform's keys only: agency seal keys never sign checkpoints.
  const keys = jwks.data.keys.filter((key) => key.owner === undefined || key.owner === 'platform');
  // None would make every checkpoint fail its signature: findings that are only a wrong --jwks.
  if (keys.length === 0) throw new JwksUnusable(`the JWKS from ${source} holds no platform key`);
  return keys as PublicJwk[];
}

async function jwksAnswer(url: string): Promise<string> {
  const response = await fetch(url).catch((error: Error) => {
    throw new JwksUnusable(
      `could not reach the JWKS at ${url}: ${error.cause ?? error.message}`,
      EXIT_UNREACHABLE,
    );
  });
  if (!response.ok) {
    throw new JwksUnusable(
      `the JWKS at ${url} answered ${response.status} ${response.statusText}`,
      // A server's failure or a request to wait is no mistake of the caller's: try again later.
      response.status >= 500 || response.status === 408 || response.status === 429
        ? EXIT_UNREACHABLE
        : EXIT_USAGE,
    );
  }
  return response.text().catch((error: Error) => {
    throw new JwksUnusable(`the JWKS answer from ${url} broke off: ${error.message}`, EXIT_UNREACHABLE);
  });
}

async function jwksFile(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: Error) => {
    throw new JwksUnusable(`cannot read the JWKS file ${file}: ${error.message}`);
  });
}

function parseInstant(value: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('an RFC 3339 time like 2025-03-01T08:00:00Z');
  return new Date(ms);
}
