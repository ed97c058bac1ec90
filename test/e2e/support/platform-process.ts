import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnTethered, type TetheredProcess } from '#dev/emulators/process.ts';

const repositoryRoot = resolve(import.meta.dirname, '../../..');
const READY = /^\[elicense\] ready (\{.*\})$/;
const START_TIMEOUT_MS = 180_000;

export interface PlatformProcess {
  url: string;
  dataDir: string;
  endpoints: Record<string, string | undefined>;
  emulatorPids: number[];
  process: TetheredProcess;
  stop(): Promise<void>;
}

/**
 * Runs `node dev/start.ts` — what `npm start` runs — as a separate process on a free port
 * and a throw-away data folder, tethered so it dies with the test run however that ends.
 * A separate process keeps the platform's environment out of the test runner's.
 */
export async function startPlatformProcess(
  args: string[] = [],
  env: Record<string, string> = {},
  /** The data folder of a platform whose services this one shares: its key vault is shared too. */
  keysOf?: string,
): Promise<PlatformProcess> {
  const launched = await launchPlatform({
    name: 'platform',
    dataDirPrefix: 'elicense-e2e-',
    // Data sealed under one vault's field key opens only with that key: a second platform on the
    // same tables must hold the same keys, as every function of one stage does on AWS.
    prepare: keysOf
      ? (dataDir) => cp(join(keysOf, 'keys'), join(dataDir, 'keys'), { recursive: true })
      : undefined,
    args: (dataDir) => [join(repositoryRoot, 'dev/start.ts'), '--port', '0', '--data-dir', dataDir, ...args],
    env,
  });
  const info = JSON.parse(launched.ready) as Omit<PlatformProcess, 'process' | 'stop' | 'dataDir'>;
  return { ...info, dataDir: launched.dataDir, process: launched.process, stop: launched.stop };
}

export interface LaunchedPlatform {
  /** The JSON the entry point printed on its `[elicense] ready {…}` line. */
  ready: string;
  dataDir: string;
  process: TetheredProcess;
  stop(): Promise<void>;
}

/**
 * Runs a platform entry point (`node <args>`) on a fresh throw-away data folder, tethered, and
 * waits for its ready line; a platform that exits or does not get ready in time is stopped,
 * its folder removed, and its last output quoted in the error.
 */
export async function launchPlatform(options: {
  name: string;
  dataDirPrefix: string;
  args: (dataDir: string) => string[];
  env: Record<string, string>;
  prepare?: (dataDir: string) => Promise<void>;
}): Promise<LaunchedPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), options.dataDirPrefix));
  await options.prepare?.(dataDir);
  let onReady: (line: string) => void = () => {};
  const ready = new Promise<string>((resolveReady) => {
    onReady = resolveReady;
  });
  const child = await spawnTethered({
    name: options.name,
    command: process.execPath,
    args: options.args(dataDir),
    cwd: repositoryRoot,
    // The tests change the catalog (a type, a seal key withdrawn) and look at once: no catalog cache
    // (functions/handlers/environment.ts, catalogCacheOptions); the unit tests cover it.
    env: {
      ...process.env,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ELICENSE_CATALOG_MAX_AGE_SECONDS: '0',
      ...options.env,
    },
    log: (line) => {
      const match = READY.exec(line.replace(/^\[[^\]]+\] /, ''));
      if (match) onReady(match[1]!);
    },
  });
  const outcome = await Promise.race([
    ready,
    child.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), START_TIMEOUT_MS).unref()),
  ]);
  const stop = async () => {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  if (outcome === 'exited' || outcome === 'timeout') {
    await stop();
    throw new Error(
      `the platform (${options.name}) did not start (${outcome}); last output:\n${child.outputTail()}`,
    );
  }
  return { ready: outcome, dataDir, process: child, stop };
}
