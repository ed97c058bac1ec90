// The signed license as SD-JWT VC (RFC 9901 + the SD-JWT VC draft): issue, present, verify.
export * from './claims.ts';
export * from './digest.ts';
export * from './errors.ts';
export * from './issue.ts';
export * from './present.ts';
export * from './verify.ts';
