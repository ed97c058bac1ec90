// s3rver: the local platform's S3, a Node library run in this process, keeping buckets and
// objects as plain files under a directory so that data survives restarts.

import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';
import { privateDirectory } from '../data-dir.ts';

export interface S3rverServer {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Environment for AWS SDK v3 clients talking to s3rver. Measured over the wire: by default
 * (WHEN_SUPPORTED) the SDK sends a streamed PutObject body aws-chunked with a CRC32
 * trailer, and s3rver stores the chunk framing as the object's bytes; string and buffer
 * bodies survive either way. WHEN_REQUIRED keeps plain bodies for every body type.
 */
export const S3RVER_SDK_ENV: Readonly<Record<string, string>> = {
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
};

/** Starts s3rver on a free port of 127.0.0.1 with its data under `directory`. */
export async function startS3rver(options: { directory: string }): Promise<S3rverServer> {
  acceptAnyAccessKey();
  await privateDirectory(options.directory);
  const server = new S3rver({
    address: '127.0.0.1',
    // Port 0: the kernel picks a free port at bind time, so no race as with a probed port.
    port: 0,
    directory: options.directory,
    silent: true,
    // s3rver checks no SigV4 signature anyway; this also lets SigV2 and presigned URLs
    // signed with any secret through.
    allowMismatchedSignatures: true,
    // Path-style only: a host name is never taken for a bucket name.
    vhostBuckets: false,
  });
  // First, before s3rver's own middleware (Koa composes the array when the server starts).
  (server as unknown as { middleware: Middleware[] }).middleware.unshift(guard);
  const address = await server.run();
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () => {
      stopping ??= server.close();
      return stopping;
    },
  };
}

let anyKeyAccepted = false;

/**
 * s3rver knows one access key, `S3RVER`, and rejects every other with InvalidAccessKeyId.
 * Like DynamoDB Local and moto, the local platform should take whatever credentials the
 * SDK finds (dummy ones, or a developer's real ones from a profile), so unknown keys map
 * to s3rver's single account.
 */
function acceptAnyAccessKey(): void {
  if (anyKeyAccepted) return;
  anyKeyAccepted = true;
  const registry = AWSAccount.registry;
  const known = registry.get.bind(registry);
  registry.get = (accessKeyId: string) => known(accessKeyId) ?? AWSAccount.DUMMY_ACCOUNT;
}

interface GuardContext {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  status: number;
  type: string;
  body: unknown;
  app: { store: { existsObject(bucket: string, key: string): Promise<boolean> } };
}
type Middleware = (ctx: GuardContext, next: () => Promise<void>) => Promise<void>;

/**
 * What S3 refuses and s3rver does not, where the local platform relies on it:
 * - a request with no signature at all (s3rver serves it — every layout document, unencrypted on
 *   disk, to anyone on the machine, and lists the bucket): 403, as a private bucket answers. A
 *   signed request still passes unchecked (s3rver checks no SigV4 signature, only a presigned
 *   URL's expiry), so this keeps out the casual reader, not a forger;
 * - a PUT with `If-None-Match: *` over an object that exists (a presigned upload PUT again
 *   after its completion, replacing the bytes a presigned download then serves): 412. Checked
 *   then written, not atomically: two PUTs at the same moment can both land, which S3 refuses.
 */
const guard: Middleware = async (ctx, next) => {
  const signed = 'authorization' in ctx.headers || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
  if (!signed) return refuse(ctx, 403, 'AccessDenied', 'Access Denied: the request is not signed');
  if (ctx.method === 'PUT' && ctx.headers['if-none-match'] === '*' && !('partNumber' in ctx.query)) {
    const [, bucket = '', ...key] = ctx.path.split('/').map((segment) => decodeURIComponent(segment));
    if (bucket !== '' && key.length > 0 && (await ctx.app.store.existsObject(bucket, key.join('/')))) {
      return refuse(
        ctx,
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
  }
  await next();
};

function refuse(ctx: GuardContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
