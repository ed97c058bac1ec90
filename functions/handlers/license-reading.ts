import { DynamoAuditLogWriter } from '#adapters/aws/audit-log-writer.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { DynamoGrantStore } from '#adapters/aws/grant-store.ts';
import { stageTablesFromEnvironment } from '#adapters/aws/stage-tables.ts';
import { CachedCatalog } from '#app/cached-catalog.ts';
import { CachedSealStandings } from '#app/seal-standing.ts';
import { documents, s3 } from './aws-clients.ts';
import { dataDomainOf } from './data-domains.ts';
import { bucket, catalogCacheOptions, shardsPerDomain, table } from './environment.ts';

// What the groups that read licenses but never write them (holder, retrieval) wire the same way:
// the catalog, licenses (read), grants, audit events and layout-document downloads. They never
// write licenses, issuer listings or status entries, so those two tables are not bound to them;
// their names stand in as unbound values that no DynamoDB call would accept, should a code path
// ever reach them.

const registry = new DynamoConfigStore(documents, table('config'));
// Every retrieval, holder listing and grant reads a license type (and a grant its relying agency):
// read from the registry each time, the most used type's one item would throttle (cached-catalog.ts).
const catalog = new CachedCatalog(registry, catalogCacheOptions());
/**
 * The catalog as these groups read it: types and agencies through the container's cache (a change
 * shows within CATALOG_MAX_AGE_MS), sharing agreements from the registry on every retrieval.
 */
export const config = {
  getLicenseType: catalog.getLicenseType,
  getAgency: catalog.getAgency,
  listSharingAgreementsOfAgency: registry.listSharingAgreementsOfAgency.bind(registry),
};
/** Whether a license's seal key is withdrawn, from the agency records cached above (≤ 60 s). */
export const seals = new CachedSealStandings(catalog);
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
  domainOf: dataDomainOf(registry),
});
export const grants = new DynamoGrantStore(documents, tables.grants, { auditTable });
export const audit = new DynamoAuditLogWriter(documents, auditTable);
// Downloads are presigned GETs, which name no key: the documents key matters to uploads only.
export const layoutDocuments = new S3DocumentStore(s3, {
  bucket: bucket('documents'),
  kmsKeyId: process.env.ELICENSE_DOCUMENTS_KEY_ID ?? 'unused-by-presigned-downloads',
});
