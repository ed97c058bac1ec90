import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Where a running local platform's services are, written into its data folder when it starts,
// so a command run beside it (`elicense audit verify --local`) reaches the same tables and
// buckets. The emulators' endpoints change from run to run (free ports); this file follows.

export interface LocalEndpoints {
  stage: string;
  /** The API's base URL that run served at (absent in files of older versions). */
  url?: string;
  /** The SDK variables of the platform's services: AWS_ENDPOINT_URL_*, AWS_REGION, dummy credentials. */
  env: Record<string, string>;
  /** The local key vault, whose platform key signs the audit checkpoints. */
  keyVaultDir: string;
  /** The audit log's seal groups (G) that run sealed with (absent in files of older versions: 1). */
  auditSealGroups?: number;
}

const FILE = 'endpoints.json';

export async function writeLocalEndpoints(dataDir: string, endpoints: LocalEndpoints): Promise<void> {
  await writeFile(join(dataDir, FILE), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

export async function readLocalEndpoints(dataDir: string): Promise<LocalEndpoints> {
  const path = join(dataDir, FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`expected ${path} from a running local platform (npm start), found none`);
  }
  return JSON.parse(text) as LocalEndpoints;
}
