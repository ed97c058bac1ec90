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
  const dataDir = await mkdtemp(join(tmpdir(), 'elicense-e2e-'));
  // Data sealed under one vault's field key opens only with that key: a second platform on the
  // same tables must hold the same keys, as every function of one stage does on AWS.
  if (keysOf) await cp(join(keysOf, 'keys'), join(dataDir, 'keys'), { recursive: true });
  let onReady: (line: string) => void = () => {};
  const ready = new Promise<string>((resolveReady) => {
    onReady = resolveReady;
  });
  const child = await spawnTethered({
    name: 'platform',
    command: process.execPath,
    args: [join(repositoryRoot, 'dev/start.ts'), '--port', '0', '--data-dir', dataDir, ...args],
    cwd: repositoryRoot,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    log: (line) => {
      const match = READY.exec(line.replace(/^\[platform\] /, ''));
      if (match) onReady(match[1]!);
    },
  });
  const outcome = await Promise.race([
    ready,
    child.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), START_TIMEOUT_MS).unref()),
  ]);
  if (outcome === 'exited' || outcome === 'timeout') {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`the local platform did not start (${outcome}); last output:\n${child.outputTail()}`);
  }
  const info = JSON.parse(outcome) as Omit<PlatformProcess, 'process' | 'stop' | 'dataDir'>;
  return {
    ...info,
    dataDir,
    process: child,
    async stop() {
      await child.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
