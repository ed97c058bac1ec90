// The buckets, declared once for the CDK stateful stack and the local platform alike.

export interface BucketDefinition {
  name: 'documents' | 'audit-archive' | 'public';
  purpose: string;
}

export const buckets: readonly BucketDefinition[] = [
  { name: 'documents', purpose: 'layout documents (PDF, OFD), SSE-KMS, bound to licenses by digest' },
  { name: 'audit-archive', purpose: 'sealed audit batches and checkpoints (Object Lock on AWS)' },
  { name: 'public', purpose: 'status lists and JWKS, served through CloudFront with their TTL' },
];

/**
 * Days a deleted document's bytes stay as a noncurrent version of the versioned documents bucket
 * before its lifecycle rule removes them: a wrong delete can be undone within them by removing
 * the delete marker, and after them the bytes are gone.
 */
export const DOCUMENT_RECOVERY_DAYS = 30;

/**
 * The name on AWS: `elicense-<stage>-<bucket>-<account id>` (bucket names are global; the
 * account makes them unique). The data stack names its buckets so and the API stack derives
 * the same names, so no CloudFormation export ties the two stacks together.
 */
export function awsBucketName(
  stage: string,
  bucket: Pick<BucketDefinition, 'name'>,
  accountId: string,
): string {
  return `elicense-${stage}-${bucket.name}-${accountId}`;
}

/** Local physical name. */
export function localBucketName(stage: string, bucket: Pick<BucketDefinition, 'name'>): string {
  return `elicense-${stage}-${bucket.name}`;
}

export function bucketEnvVar(bucket: Pick<BucketDefinition, 'name'>): string {
  return `BUCKET_${bucket.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
