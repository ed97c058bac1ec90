// Local AWS services for `npm start`, the test global setups and the dev server: the
// emulators this project starts and stops itself, or the endpoints given in the
// environment (LocalStack, a deployed stage), which are then used as they are.

import { join } from 'node:path';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { EmulatorStartError } from './errors.ts';
import { startMoto } from './moto.ts';
import type { Log, TetheredProcess } from './process.ts';
import { S3RVER_SDK_ENV, startS3rver } from './s3rver.ts';

export { EmulatorStartError, MissingPrerequisiteError } from './errors.ts';
export { MOTO_REQUIREMENT } from './moto.ts';

export type Service = 'dynamodb' | 's3' | 'kms';

export interface LocalServices {
  /** Endpoint per service: an emulator we started, or the one given in the environment. */
  endpoints: Record<Service, string | undefined>;
  /** Environment variables that point the AWS SDK v3 at these endpoints (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_KMS, AWS_REGION, and dummy credentials when emulated). */
  env: Record<string, string>;
  /** Pids of the emulator processes we started (DynamoDB Local's java, moto's python); in-process servers have none. */
  pids: number[];
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  services: Service[];
  /** 'test' → DynamoDB Local in memory, moto for s3+kms. 'platform' → DynamoDB Local on disk under dataDir, s3rver on disk under dataDir for s3, no kms emulator (the local platform uses a software key vault). */
  mode: 'test' | 'platform';
  /** Required in 'platform' mode: DynamoDB Local keeps its file in `<dataDir>/dynamodb`, s3rver its objects in `<dataDir>/s3`. */
  dataDir?: string;
  log?: (line: string) => void;
}

/** The SDK's own per-service endpoint variables (it also reads AWS_ENDPOINT_URL for all). */
const ENDPOINT_VARIABLES: Readonly<Record<Service, string>> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  kms: 'AWS_ENDPOINT_URL_KMS',
};
const SERVICES = Object.keys(ENDPOINT_VARIABLES) as Service[];
const DEFAULT_REGION = 'us-east-1';

interface Started {
  services: Service[];
  endpoint: string;
  process?: TetheredProcess;
  stop(): Promise<void>;
  env?: Readonly<Record<string, string>>;
}

/**
 * Starts the emulators the requested services need, unless the environment names an endpoint for them.
 * Note: once `env` has been copied into process.env, a later call in the same process sees those
 * endpoints as given and starts nothing; delete the AWS_ENDPOINT_URL* variables first to restart.
 */
export async function startLocalServices(opts: LocalServicesOptions): Promise<LocalServices> {
  const log: Log = opts.log ?? (() => {});
  const given = (service: Service): string | undefined =>
    nonEmpty(process.env[ENDPOINT_VARIABLES[service]]) ?? nonEmpty(process.env.AWS_ENDPOINT_URL);
  const emulate = new Set(opts.services.filter((service) => given(service) === undefined));
  if (opts.mode === 'platform') emulate.delete('kms');
  if (opts.mode === 'platform' && emulate.size > 0 && opts.dataDir === undefined) {
    throw new EmulatorStartError(
      'emulators',
      "mode 'platform' keeps data on disk and needs dataDir; none was given",
    );
  }

  const launches: Promise<Started>[] = [];
  const timed = async (what: string, start: () => Promise<Started>): Promise<Started> => {
    const began = performance.now();
    const started = await start();
    log(`[emulators] ${what} ready at ${started.endpoint} in ${Math.round(performance.now() - began)} ms`);
    return started;
  };
  if (emulate.has('dynamodb')) {
    const dbPath =
      opts.mode === 'platform' && opts.dataDir !== undefined ? join(opts.dataDir, 'dynamodb') : undefined;
    launches.push(
      timed(dbPath === undefined ? 'DynamoDB Local (in memory)' : `DynamoDB Local (${dbPath})`, async () => {
        const db = await startDynamoDbLocal({ dbPath, log });
        return { services: ['dynamodb'], endpoint: db.endpoint, process: db.process, stop: db.process.stop };
      }),
    );
  }
  const motoServices = opts.mode === 'test' ? (['s3', 'kms'] as const).filter((s) => emulate.has(s)) : [];
  if (motoServices.length > 0) {
    launches.push(
      timed(`moto (${motoServices.join(', ')})`, async () => {
        const moto = await startMoto({ log });
        return {
          services: motoServices,
          endpoint: moto.endpoint,
          process: moto.process,
          stop: moto.process.stop,
        };
      }),
    );
  }
  if (opts.mode === 'platform' && emulate.has('s3') && opts.dataDir !== undefined) {
    const directory = join(opts.dataDir, 's3');
    launches.push(
      timed(`s3rver (${directory})`, async () => {
        const s3 = await startS3rver({ directory });
        return { services: ['s3'], endpoint: s3.endpoint, stop: s3.stop, env: S3RVER_SDK_ENV };
      }),
    );
  }

  // Start everything at once; if anything fails, stop what did start before reporting.
  const outcomes = await Promise.allSettled(launches);
  const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
  };
  if (failures.length > 0) {
    await stopAll();
    if (failures.length === 1) throw failures[0];
    const messages = failures.map((f) => `- ${f instanceof Error ? f.message : String(f)}`).join('\n');
    throw new EmulatorStartError('emulators', `${failures.length} emulators failed to start:\n${messages}`, {
      cause: failures[0],
    });
  }
  // The emulators must not keep this process alive on their own: if it ends without
  // stop(), the tethers notice and take them down.
  for (const s of started) s.process?.unref();

  const endpoints = Object.fromEntries(SERVICES.map((service) => [service, given(service)])) as Record<
    Service,
    string | undefined
  >;
  for (const s of started) for (const service of s.services) endpoints[service] = s.endpoint;

  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: sdkEnvironment(opts.services, endpoints, emulate.size > 0, started),
    pids: started.flatMap((s) => (s.process === undefined ? [] : [s.process.pid])),
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

function sdkEnvironment(
  requested: Service[],
  endpoints: Record<Service, string | undefined>,
  emulating: boolean,
  started: Started[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of requested) {
    const endpoint = endpoints[service];
    if (endpoint !== undefined) env[ENDPOINT_VARIABLES[service]] = endpoint;
  }
  const region = nonEmpty(process.env.AWS_REGION) ?? nonEmpty(process.env.AWS_DEFAULT_REGION);
  if (region !== undefined) env.AWS_REGION = region;
  else if (emulating) env.AWS_REGION = DEFAULT_REGION;
  // Emulators take any credentials, but the SDK refuses to sign without some. Only when
  // none are configured, so that a developer's profile still reaches a real stage.
  const configured =
    nonEmpty(process.env.AWS_ACCESS_KEY_ID) !== undefined || nonEmpty(process.env.AWS_PROFILE) !== undefined;
  if (emulating && !configured) {
    env.AWS_ACCESS_KEY_ID = 'test';
    env.AWS_SECRET_ACCESS_KEY = 'test';
  }
  if (started.some((s) => s.services.includes('s3'))) env.ELICENSE_S3_FORCE_PATH_STYLE = 'true';
  for (const s of started) Object.assign(env, s.env);
  return env;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
