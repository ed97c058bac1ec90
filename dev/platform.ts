import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { handlerEntry, type RouteGroup } from '#http/routes.ts';
import { bundleHandler } from '#lib/bundling.ts';
import type { ApiHandler } from '../functions/handlers/observability.ts';
import { type LocalServices, startLocalServices } from './emulators/index.ts';
import { provisionStage } from './provision.ts';
import { createLocalServer, listen } from './server.ts';

const repositoryRoot = resolve(import.meta.dirname, '..');

export interface PlatformOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where DynamoDB Local and the S3 server keep their data; emulators run in memory / temp when omitted. */
  dataDir?: string;
  /** Serve the esbuild bundles that the CDK stack deploys instead of the sources. */
  bundled?: boolean;
  stage?: string;
  shardsPerDomain?: Record<string, number>;
  log?: (line: string) => void;
}

export interface LocalPlatform {
  url: string;
  port: number;
  services: LocalServices;
  stop(): Promise<void>;
}

/**
 * The whole platform on one machine: emulators (unless endpoints are given), tables and
 * buckets from the stack's definitions, and the handlers behind a local API Gateway.
 */
export async function startPlatform(options: PlatformOptions): Promise<LocalPlatform> {
  const log = options.log ?? (() => {});
  const stage = options.stage ?? 'local';
  const services = await startLocalServices({
    services: ['dynamodb', 's3'],
    mode: 'platform',
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    log,
  });
  let server: Server | undefined;
  try {
    const bindings = await provisionStage({
      stage,
      shardsPerDomain: options.shardsPerDomain ?? { person: 2, 'legal-entity': 2 },
      env: services.env,
    });
    // In-process handlers read their configuration from process.env when first imported,
    // exactly as a Lambda container does.
    Object.assign(process.env, services.env, bindings, {
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    const bundleDir = join(options.dataDir ?? join(repositoryRoot, '.elicense'), 'bundles');
    server = createLocalServer({
      stage,
      log,
      loadHandler: (group) => (options.bundled ? loadBundled(group, bundleDir) : loadSource(group)),
    });
    const port = await listen(server, options.port);
    const running = server;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      services,
      async stop() {
        const closed = new Promise<void>((done) => running.close(() => done()));
        running.closeAllConnections();
        await closed;
        await services.stop();
      },
    };
  } catch (error) {
    server?.close();
    await services.stop();
    throw error;
  }
}

async function loadSource(group: RouteGroup): Promise<ApiHandler> {
  const module = (await import(pathToFileURL(join(repositoryRoot, handlerEntry(group))).href)) as {
    handler: ApiHandler;
  };
  return module.handler;
}

async function loadBundled(group: RouteGroup, bundleDir: string): Promise<ApiHandler> {
  const outDir = join(bundleDir, group);
  await rm(outDir, { recursive: true, force: true });
  const file = bundleHandler(handlerEntry(group), outDir);
  const module = (await import(pathToFileURL(file).href)) as { handler: ApiHandler };
  return module.handler;
}
