// HTTP Message Signatures (RFC 9421) and Content-Digest (RFC 9530), in one import: the
// verifier's profile for agency requests and the signer's half the agency SDK uses.
export * from './agency-policy.ts';
export * from './algorithms.ts';
export * from './content-digest.ts';
export * from './sign.ts';
export * from './signature-base.ts';
export * from './signature-fields.ts';
export * from './target-uri.ts';
