import { DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { documents } from '../aws-clients.ts';
import { table } from '../environment.ts';
import { blindIndexer, fieldCipher } from '../key-material.ts';

// The holder store as the identity part and GET /holder/me use it: proofings, bindings and
// device keys on the `holders` table, each write with its audit event in the `audit` table, the
// holder code sealed with the field key.
export const holderStore = new DynamoHolderStore(documents, {
  table: table('holders'),
  auditTable: table('audit'),
  cipher: await fieldCipher(),
});

export { blindIndexer };
export const now = (): Date => new Date();
