// Types for the parts of s3rver 3.7 (plain CommonJS, no bundled types) that s3rver.ts uses.

declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/models/account.js' {
  interface AWSAccountInstance {
    readonly id: number;
  }

  const AWSAccount: {
    /** Access key id → account; requests signed with an unknown key fail InvalidAccessKeyId. */
    registry: Map<string, AWSAccountInstance>;
    /** The only account s3rver knows: key id and secret `S3RVER`. */
    DUMMY_ACCOUNT: AWSAccountInstance;
  };
  export default AWSAccount;
}
