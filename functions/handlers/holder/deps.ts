import { randomUUID } from 'node:crypto';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoHolderStore } from '#adapters/aws/holder-store.ts';
import { documents } from '../aws-clients.ts';
import { table } from '../environment.ts';
import { blindIndexer, fieldCipher } from '../key-material.ts';
import { audit, auditTable, config, grants, layoutDocuments, licenses, seals } from '../license-reading.ts';

// What the holder group's parts share: what every license-reading group wires (catalog, licenses,
// grants, audit writes, layout-document downloads), the audit log read by license, the field
// cipher, and the holders table.

export const auditLog = new DynamoAuditLogReader(documents, auditTable);
export const cipher = await fieldCipher();
export const holdersTable = table('holders');
/**
 * Who a holder account is — proofings, bindings and device keys on the `holders` table, each write
 * with its audit event, the holder code sealed with the field key.
 */
export const identity = new DynamoHolderStore(documents, { table: holdersTable, auditTable, cipher });
export { audit, blindIndexer, config, grants, layoutDocuments, licenses, seals };

export const now = (): Date => new Date();
export const eventIds = (prefix: string) => (): string => `${prefix}-${randomUUID()}`;
