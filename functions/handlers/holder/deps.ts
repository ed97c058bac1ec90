import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoGrantStore } from '#adapters/aws/grant-store.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { documents, s3 } from '../aws-clients.ts';
import { dataDomainOf } from '../data-domains.ts';
import { bucket, shardsPerDomain, table } from '../environment.ts';
import { blindIndexer, fieldCipher } from '../key-material.ts';
import { holderStore } from './identity-store.ts';

// What the holder group's parts share: the catalog, licenses (read), grants, the audit log (write
// and read by license), the field cipher, the holders table and layout-document links. The holder
// function never writes licenses, issuer listings or status entries, so those two tables are not
// bound to it; their names stand in as unbound values that no DynamoDB call would accept.

export const config = new DynamoConfigStore(documents, table('config'));
const shards = shardsPerDomain();
const tables = stageTablesFromEnvironment(
  {
    TABLE_ISSUER_LISTING: 'unbound:issuer-listing',
    TABLE_STATUS_LISTS: 'unbound:status-lists',
    ...process.env,
  },
  shards,
);
export const licenses = new DynamoDbLicenseRepository({
  client: documents,
  tables,
  shards,
  domainOf: dataDomainOf(config),
});
export const grants = new DynamoGrantStore(documents, tables.grants, { auditTable: tables.audit });
export const audit = new DynamoAuditLogWriter(documents, tables.audit);
export const auditLog = new DynamoAuditLogReader(documents, tables.audit);
export const cipher = await fieldCipher();
export const holdersTable = table('holders');
/** Who a holder account is: the identity proofing bound it to (the identity part's holder store). */
export const identity = holderStore;
// Downloads are presigned GETs, which name no key: the documents key matters to uploads only.
export const layoutDocuments = new S3DocumentStore(s3, {
  bucket: bucket('documents'),
  kmsKeyId: process.env.ELICENSE_DOCUMENTS_KEY_ID ?? 'unused-by-presigned-downloads',
});
export { blindIndexer };

export const now = (): Date => new Date();
export const eventIds = (prefix: string) => (): string => `${prefix}-${randomUUID()}`;

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});
