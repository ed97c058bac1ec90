// Shared process handling for the emulators: spawn through the tether, collect output,
// wait for readiness, stop, and retry on a port lost to a race.

import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { EmulatorStartError } from './errors.ts';

const TETHER = fileURLToPath(new URL('./tether.ts', import.meta.url));
const OUTPUT_TAIL_LINES = 40;
/** How long stop() waits for the tether (which itself allows the group 5 s) before SIGKILL. */
const STOP_TIMEOUT_MS = 8_000;

export type Log = (line: string) => void;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** An emulator process running under a tether. */
export interface TetheredProcess {
  readonly name: string;
  /** Pid of the emulator itself (not of its tether). */
  readonly pid: number;
  /** Settles once the emulator (and so its tether) has exited, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  /** True once `exited` has settled. */
  hasExited(): boolean;
  /** The last lines the process wrote, stdout and stderr interleaved, oldest first. */
  outputTail(): string;
  /**
   * Lets this process end while the emulator runs; the tether then sees its stdin close
   * and takes the emulator down. stop() keeps this process alive again until it is done.
   */
  unref(): void;
  /** Stops the process group and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface TetheredSpawn {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log?: Log;
}

/**
 * Starts `command` under the tether (see tether.ts), so that it dies with this process
 * however this process ends. Resolves once the command is running, with its pid.
 */
export async function spawnTethered(spec: TetheredSpawn): Promise<TetheredProcess> {
  const tether = spawn(process.execPath, [TETHER, spec.command, ...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const collect = (stream: Readable | null): void => {
    if (stream === null) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      spec.log?.(`[${spec.name}] ${line}`);
    });
  };
  collect(tether.stdout);
  collect(tether.stderr);

  let exitedFlag = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    tether.once('exit', (code, signal) => {
      // Give the pipes a moment to deliver the last lines, which error messages quote.
      const settle = (): void => {
        exitedFlag = true;
        resolve({ code, signal });
      };
      const drained = setTimeout(settle, 500);
      tether.once('close', () => {
        clearTimeout(drained);
        settle();
      });
    });
  });

  const control = tether.stdio[3] as Readable | null;
  if (control === null) throw new EmulatorStartError(spec.name, 'the tether has no control pipe on fd 3');
  const pid = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      let message: { pid?: unknown; error?: unknown };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        message = { error: `the tether wrote ${JSON.stringify(line)} instead of a JSON status line` };
      }
      if (typeof message.pid === 'number') resolve(message.pid);
      else
        reject(
          new EmulatorStartError(
            spec.name,
            String(message.error ?? 'the tether reported neither pid nor error'),
          ),
        );
    });
    tether.once('error', (error) =>
      reject(
        new EmulatorStartError(spec.name, `could not start the tether: ${error.message}`, { cause: error }),
      ),
    );
    void exited.then((status) =>
      reject(
        new EmulatorStartError(
          spec.name,
          `the tether exited (${describe(status)}) before reporting a pid; last output:\n${tail.join('\n') || '(none)'}`,
        ),
      ),
    );
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitedFlag) return;
      tether.ref();
      tether.kill('SIGTERM');
      const gone = await Promise.race([
        exited.then(() => true),
        sleep(STOP_TIMEOUT_MS, false, { ref: false }),
      ]);
      if (gone) return;
      // The tether did not manage: take the group down ourselves.
      for (const target of [-pid, tether.pid ?? 0]) {
        try {
          if (target !== 0) process.kill(target, 'SIGKILL');
        } catch {
          // ESRCH: already gone.
        }
      }
      await exited;
    })();
    return stopping;
  };

  return {
    name: spec.name,
    pid,
    exited,
    hasExited: () => exitedFlag,
    outputTail: () => tail.join('\n'),
    unref: () => {
      tether.unref();
      for (const stream of tether.stdio) (stream as Socket | null)?.unref();
    },
    stop,
  };
}

/** Runs a command under the tether to completion; resolves with its exit status and output. */
export async function runTethered(spec: TetheredSpawn): Promise<ExitStatus & { output: string }> {
  const child = await spawnTethered(spec);
  const status = await child.exited;
  return { ...status, output: child.outputTail() };
}

/**
 * Polls `probe` until it resolves (the emulator answers), the process exits, or the
 * timeout passes; in the last two cases stops the process and throws with its last output.
 */
export async function waitUntilReady(
  child: TetheredProcess,
  probe: () => Promise<void>,
  options: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProbeError: unknown;
  while (Date.now() < deadline) {
    // Checked first: once the process is gone, a probe that fails at once would otherwise
    // win every race against `exited`.
    if (child.hasExited()) {
      const status = await child.exited;
      throw new EmulatorStartError(
        child.name,
        `exited (${describe(status)}) before ${options.what} answered; last output:\n${child.outputTail() || '(none)'}`,
      );
    }
    const outcome = await Promise.race([
      probe().then(
        () => 'ready' as const,
        (error: unknown) => {
          lastProbeError = error;
          return 'not yet' as const;
        },
      ),
      child.exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'ready') return;
    if (outcome === 'not yet') await sleep(150);
  }
  await child.stop();
  const reason = lastProbeError instanceof Error ? lastProbeError.message : String(lastProbeError);
  throw new EmulatorStartError(
    child.name,
    `${options.what} did not answer within ${options.timeoutMs / 1000} s (last attempt: ${reason}); last output:\n${child.outputTail() || '(none)'}`,
  );
}

const PORT_TAKEN = /address already in use|BindException|EADDRINUSE|Errno 98/i;

/**
 * Picks a free port at run time and starts an emulator on it. Between the check and the
 * bind another process may take the port; then it tries again with a new one.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await getPort();
    try {
      return await start(port);
    } catch (error) {
      const lost = error instanceof EmulatorStartError && PORT_TAKEN.test(error.message);
      if (!lost || attempt >= attempts) throw error;
    }
  }
}

function describe(status: ExitStatus): string {
  return status.signal === null ? `code ${status.code}` : `signal ${status.signal}`;
}
