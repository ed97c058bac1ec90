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

/** Local physical name; on AWS, CloudFormation names buckets (names are global) and passes them in. */
export function localBucketName(stage: string, bucket: Pick<BucketDefinition, 'name'>): string {
  return `elicense-${stage}-${bucket.name}`;
}

export function bucketEnvVar(bucket: Pick<BucketDefinition, 'name'>): string {
  return `BUCKET_${bucket.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
