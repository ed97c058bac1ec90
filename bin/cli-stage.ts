// How the commands that reach a stage's storage directly (`audit verify`, `bootstrap operator`)
// find it: `--stage` with the caller's AWS credentials and the SDK's AWS_ENDPOINT_URL*
// variables (so LocalStack and emulators work), or `--local [dataDir]`, the endpoints file a
// running `npm start` writes into its data folder.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type LocalEndpoints, readLocalEndpoints } from '#dev/local-endpoints.ts';

export const DEFAULT_DATA_DIR = resolve(import.meta.dirname, '..', '.elicense');

export interface StageOptions {
  stage: string;
  local?: string | true;
}

/** Adds `--stage` and `--local [dataDir]`; `what` says what of the stage the command touches. */
export function addStageOptions(command: Command, what: string): Command {
  return command
    .option(
      '--stage <name>',
      `stage whose ${what} (env ELICENSE_STAGE)`,
      process.env.ELICENSE_STAGE ?? 'local',
    )
    .option(
      '--local [dataDir]',
      `the local platform of \`npm start\`: its endpoints and key vault in the data folder (default ${DEFAULT_DATA_DIR})`,
    );
}

export interface ResolvedStage {
  stage: string;
  /** SDK settings overriding the process environment's: a local platform's, else none. */
  env: Record<string, string>;
  /** The local platform's endpoints file, with `--local`, and the data folder it was read from. */
  local?: LocalEndpoints & { dataDir: string };
}

/** The stage the options name, or the error saying why the local platform's file was unusable. */
export async function resolveStage(options: StageOptions): Promise<ResolvedStage | Error> {
  if (options.local === undefined) return { stage: options.stage, env: {} };
  const dir = options.local === true ? DEFAULT_DATA_DIR : resolve(options.local);
  const local = await readLocalEndpoints(dir).catch((error: Error) => error);
  if (local instanceof Error) return local;
  return { stage: local.stage, env: local.env, local: { ...local, dataDir: dir } };
}

type Service = 'DYNAMODB' | 'S3' | 'KMS' | 'API_GATEWAY';

/** SDK client settings of one service; a local platform's settings override the process environment's. */
export function sdkClientConfig(env: Record<string, string>, service: Service) {
  const url = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return {
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
      : {}),
    ...(url ? { endpoint: url } : {}),
  };
}
