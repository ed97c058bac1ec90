import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoGrantStore } from '#adapters/aws/grant-store.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { documents, s3 } from './aws-clients.ts';
import { dataDomainOf } from './data-domains.ts';
import { bucket, shardsPerDomain, table } from './environment.ts';

// What the groups that read licenses but never write them (holder, retrieval) wire the same way:
// the catalog, licenses (read), grants, audit events and layout-document downloads. They never
// write licenses, issuer listings or status entries, so those two tables are not bound to them;
// their names stand in as unbound values that no DynamoDB call would accept, should a code path
// ever reach them.

export const config = new DynamoConfigStore(documents, table('config'));
/** Whether a license's seal key is withdrawn, from agency records cached per container (≤ 60 s). */
export const seals = new CachedSealStandings(config);
const shards = shardsPerDomain();
const tables = stageTablesFromEnvironment(
  {
    TABLE_ISSUER_LISTING: 'unbound:issuer-listing',
    TABLE_STATUS_LISTS: 'unbound:status-lists',
    ...process.env,
  },
  shards,
);
export const auditTable = tables.audit;
export const licenses = new DynamoDbLicenseRepository({
  client: documents,
  tables,
  shards,
  domainOf: dataDomainOf(config),
});
export const grants = new DynamoGrantStore(documents, tables.grants, { auditTable });
export const audit = new DynamoAuditLogWriter(documents, auditTable);
// Downloads are presigned GETs, which name no key: the documents key matters to uploads only.
export const layoutDocuments = new S3DocumentStore(s3, {
  bucket: bucket('documents'),
  kmsKeyId: process.env.ELICENSE_DOCUMENTS_KEY_ID ?? 'unused-by-presigned-downloads',
});
