// moto server: wire-level S3 and KMS (and every other AWS service) on one port, from PyPI,
// pinned, installed on first use into the project-local virtualenv .tools/moto-venv.

import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EmulatorStartError, MissingPrerequisiteError } from './errors.ts';
import {
  type Log,
  onFreePort,
  runTethered,
  spawnTethered,
  type TetheredProcess,
  waitUntilReady,
} from './process.ts';

/** The pinned requirement; changing it makes the next start reinstall. */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

const TOOLS = fileURLToPath(new URL('../../.tools/', import.meta.url));
const VENV = join(TOOLS, 'moto-venv');
const MARKER = join(VENV, 'elicense-requirement.txt');
const LOCK = join(TOOLS, 'moto-venv.lock');
const LOCK_WAIT_MS = 10 * 60_000;
const READY_TIMEOUT_MS = 60_000;
const MINIMUM_PYTHON: readonly [number, number] = [3, 9];
const PYTHON = `Python ${MINIMUM_PYTHON.join('.')}+ with venv and pip`;
const PYTHON_HINT =
  'Install it (Debian/Ubuntu: `sudo apt-get install python3 python3-venv python3-pip`; macOS: `brew install python`), or name another interpreter in ELICENSE_PYTHON.';

export interface MotoServer {
  endpoint: string;
  process: TetheredProcess;
}

/** Starts moto server on a free port of 127.0.0.1, installing moto first if needed. */
export async function startMoto(options: { log?: Log }): Promise<MotoServer> {
  const server = await ensureMotoInstalled(options.log);
  return onFreePort(async (port) => {
    const endpoint = `http://127.0.0.1:${port}`;
    const child = await spawnTethered({
      name: 'moto',
      command: server,
      args: ['-H', '127.0.0.1', '-p', String(port)],
      log: options.log,
    });
    await waitUntilReady(
      child,
      async () => {
        const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`GET /moto-api/ answered ${response.status}`);
      },
      { timeoutMs: READY_TIMEOUT_MS, what: `GET ${endpoint}/moto-api/` },
    );
    return { endpoint, process: child };
  });
}

/**
 * Makes sure .tools/moto-venv holds exactly MOTO_REQUIREMENT and returns its moto_server.
 * Concurrent callers (two test runs) serialise on a lock directory; the marker file is
 * written last, so an interrupted install is redone rather than trusted.
 */
export async function ensureMotoInstalled(log: Log = () => {}): Promise<string> {
  const server = join(VENV, 'bin', 'moto_server');
  if (await isInstalled(server)) return server;
  await withLock(log, async () => {
    if (await isInstalled(server)) return;
    const python = await findPython();
    log(`[emulators] installing ${MOTO_REQUIREMENT} into ${VENV} (first use, or the pin changed)`);
    await rm(VENV, { recursive: true, force: true });
    const venv = await runTethered({ name: 'venv', command: python, args: ['-m', 'venv', VENV], log });
    if (venv.code !== 0) {
      throw new MissingPrerequisiteError(
        PYTHON,
        `\`${python} -m venv\` failed:\n${venv.output}`,
        PYTHON_HINT,
      );
    }
    const pip = await runTethered({
      name: 'pip',
      command: join(VENV, 'bin', 'python'),
      args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', MOTO_REQUIREMENT],
      log,
    });
    if (pip.code !== 0) {
      if (/No module named pip/.test(pip.output)) {
        throw new MissingPrerequisiteError(
          PYTHON,
          `the virtualenv made by \`${python}\` has no pip`,
          PYTHON_HINT,
        );
      }
      throw new EmulatorStartError(
        'moto',
        `pip install ${MOTO_REQUIREMENT} failed; last output:\n${pip.output}`,
      );
    }
    await writeFile(MARKER, `${MOTO_REQUIREMENT}\n`);
  });
  return server;
}

async function isInstalled(server: string): Promise<boolean> {
  try {
    const [marker] = await Promise.all([readFile(MARKER, 'utf8'), stat(server)]);
    return marker.trim() === MOTO_REQUIREMENT;
  } catch {
    return false;
  }
}

/** The Python to build the virtualenv with (ELICENSE_PYTHON, else python3); throws MissingPrerequisiteError unless it runs and is 3.9+. */
export async function findPython(): Promise<string> {
  const python = process.env.ELICENSE_PYTHON || 'python3';
  const version = await new Promise<string>((resolve, reject) => {
    execFile(
      python,
      ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
      { timeout: 30_000 },
      (error, stdout) => {
        if (error === null) resolve(stdout.trim());
        else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new MissingPrerequisiteError(PYTHON, `\`${python}\` was not found`, PYTHON_HINT));
        } else {
          reject(
            new MissingPrerequisiteError(
              PYTHON,
              `\`${python}\` failed: ${error.message.trim()}`,
              PYTHON_HINT,
            ),
          );
        }
      },
    );
  });
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor < MINIMUM_PYTHON[1])) {
    throw new MissingPrerequisiteError(PYTHON, `\`${python}\` is Python ${version}`, PYTHON_HINT);
  }
  return python;
}

/** Runs `work` holding .tools/moto-venv.lock (mkdir is atomic); breaks locks of dead owners. */
async function withLock(log: Log, work: () => Promise<void>): Promise<void> {
  await mkdir(TOOLS, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await lockIsStale()) {
      await rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmulatorStartError(
        'moto',
        `waited ${LOCK_WAIT_MS / 60_000} min for ${LOCK}; remove it if stale`,
      );
    }
    if (!announced) log(`[emulators] waiting for another process installing moto (${LOCK})`);
    announced = true;
    await sleep(500);
  }
  try {
    await writeFile(join(LOCK, 'owner'), String(process.pid));
    await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function lockIsStale(): Promise<boolean> {
  try {
    const owner = Number(await readFile(join(LOCK, 'owner'), 'utf8'));
    process.kill(owner, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true;
    if (code === 'EPERM') return false;
    // No owner file yet: either just created by a live process, or left by one that died
    // between mkdir and writeFile. Only the latter is old.
    try {
      return Date.now() - (await stat(LOCK)).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
}
