import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartRefused } from './start-refused.ts';

// Every license the local platform issues names its base URL — the issuer (`iss`), the status
// list URL — and so does every holder token of its development OIDC issuer. The URL carries the
// port, so a data folder's licenses verify only while the platform answers on the port they name:
// the folder records the base URL of its first start (as `publicBaseUrl` on AWS is final before
// the first license), and a start on another port is refused instead of issuing under a second
// URL and leaving every earlier license failing with an unknown-key error.

const FILE = 'base-url.json';

/** The base URL the local platform serves at on `port` (never 0: a free port is not known yet). */
export const localBaseUrl = (port: number) => `http://127.0.0.1:${port}`;

/** The data folder's licenses name another base URL than `--port` would serve at. */
export class BaseUrlMismatch extends StartRefused {
  constructor(dataDir: string, recorded: string, port: number) {
    const recordedPort = new URL(recorded).port;
    const asked = port === 0 ? 'a free port (--port 0)' : `port ${port}`;
    super(
      `${dataDir}: this data folder's licenses name ${recorded}, which ${asked} would not serve; ` +
        `start with --port ${recordedPort}, or --reset to delete its data`,
    );
    this.name = 'BaseUrlMismatch';
  }
}

/** The base URL the folder's first start recorded, or undefined for a folder never started. */
export async function recordedBaseUrl(dataDir: string): Promise<string | undefined> {
  try {
    const { publicBaseUrl } = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as {
      publicBaseUrl: string;
    };
    return publicBaseUrl;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Refuses a start on `port` when the folder's licenses name another base URL. */
export function assertSameBaseUrl(dataDir: string, recorded: string | undefined, port: number): void {
  if (recorded !== undefined && (port === 0 || localBaseUrl(port) !== recorded))
    throw new BaseUrlMismatch(dataDir, recorded, port);
}

export async function recordBaseUrl(dataDir: string, publicBaseUrl: string): Promise<void> {
  await writeFile(join(dataDir, FILE), `${JSON.stringify({ publicBaseUrl }, null, 2)}\n`, { mode: 0o600 });
}
