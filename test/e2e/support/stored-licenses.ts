// Licenses put straight into the running platform's storage, as the issue use case would store
// them, so the retrieval tests need not wait for (nor depend on) the issuer routes: the real
// adapters pointed at the platform's DynamoDB and S3, its key vault for seal keys, the field
// cipher and the blind index. Also the second relying agency the tests need, registered in the
// platform's registry with a request-signing key derived like the demo ones.
//
// Status-list slots: each license claims index n of a list id of its own (`e2e-retrieval-…`)
// rather than drawing from the issuer's lists through DynamoDbStatusListStore — the issuer
// group allocates from those lists with its own secret sealer, and a second allocator with
// another sealer would spoil them for it. The slot is the same item the repository writes at
// issue, so verification reads the status exactly as for any license.
//
// Free of vitest, so the retrieval benchmark stores its licenses the same way.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { S3DocumentStore } from '#adapters/aws/document-store.ts';
import { DynamoDbLicenseRepository } from '#adapters/aws/dynamodb-license-repository.ts';
import { stageTablesOf } from '#adapters/aws/stage-tables.ts';
import { LocalBlindIndexer } from '#adapters/local/blind-indexer.ts';
import { localFieldCipher } from '#adapters/local/field-cipher.ts';
import { LocalKeyVault } from '#adapters/local/key-vault.ts';
import { sealLicenseContent } from '#app/license-content.ts';
import type { AuditEvent } from '#core/audit/event.ts';
import type { ApiKey } from '#core/catalog/agency.ts';
import { citizenIdCheckChar } from '#core/identifiers/citizen-id.ts';
import { buildLicenseId } from '#core/identifiers/license-id.ts';
import { organizationCodeCheckChar } from '#core/identifiers/organization-code.ts';
import { usccCheckChar } from '#core/identifiers/uscc.ts';
import { type StoredStatus, transition } from '#core/lifecycle.ts';
import { agencyIssuer, issueSdJwtVc, statusListUri } from '#core/sd-jwt-vc/index.ts';
import {
  DEMO_AGENCIES,
  DEMO_LICENSE_TYPES,
  DEMO_LICENSES,
  type DemoLicense,
  demoPrivateKey,
} from '#dev/demo/catalog.ts';
import { ConfigRecordExists } from '#ports/config-store.ts';
import type { LicenseRecord } from '#ports/license-repository.ts';
import { minimalPdf } from '../../fixtures/layout-documents.ts';

const STAGE = 'local';
const SHARDS = { person: 2, 'legal-entity': 2 } as const;
const DAY_SECONDS = 24 * 60 * 60;

export interface StoredLicense {
  record: LicenseRecord;
  /** The issued SD-JWT VC with every disclosure, as the issuer signed it. */
  sdJwt: string;
  holder: { codeType: string; code: string };
  data: Record<string, unknown>;
}

export interface IssueOptions {
  /** Another holder than the demo one: their citizen identity number goes into the data too. */
  holderCode?: string;
  /** Attach a (minimal, valid) PDF layout document. */
  withDocument?: boolean;
  /** Last valid day (`YYYY-MM-DD`); the demo data's otherwise. */
  validUntil?: string;
}

/** A second relying agency of the demo area, for tests of a grant used by someone else. */
export const SECOND_RELYING = {
  uscc: usccOf('12', '330100', 'D0000016'),
  keyId: 'e2e-relying-2',
  algorithm: 'ecdsa-p256-sha256' as const,
};

/** Where a running local platform is: what the e2e global setup provides, or a platform process. */
export interface PlatformLocation {
  url: string;
  dataDir: string;
  endpoints: Record<string, string | undefined>;
}

export class PlatformStorage {
  readonly base: string;
  readonly #dynamodb: DynamoDBClient;
  readonly #s3: S3Client;
  readonly documents: DynamoDBDocumentClient;
  readonly config: DynamoConfigStore;
  readonly audit: DynamoAuditLogReader;
  readonly #vault: LocalKeyVault;
  readonly #repository: DynamoDbLicenseRepository;
  readonly #layoutDocuments: S3DocumentStore;
  readonly #cipher: Awaited<ReturnType<typeof localFieldCipher>>;
  readonly #indexer: LocalBlindIndexer;
  readonly #listId = `e2e-retrieval-${randomUUID().slice(0, 8)}`;
  #nextIndex = 0;

  private constructor(
    platform: PlatformLocation,
    vault: LocalKeyVault,
    cipher: Awaited<ReturnType<typeof localFieldCipher>>,
  ) {
    const { endpoints } = platform;
    this.base = platform.url;
    const sdk = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    this.#dynamodb = new DynamoDBClient({ ...sdk, endpoint: endpoints.dynamodb! });
    this.#s3 = new S3Client({
      ...sdk,
      endpoint: endpoints.s3!,
      forcePathStyle: true,
      // What the local platform's S3 (s3rver) needs, as dev/emulators/s3rver.ts sets for the platform.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.documents = DynamoDBDocumentClient.from(this.#dynamodb);
    const tables = stageTablesOf(STAGE, SHARDS);
    this.config = new DynamoConfigStore(this.documents, `elicense-${STAGE}-config`);
    this.audit = new DynamoAuditLogReader(this.documents, tables.audit);
    this.#vault = vault;
    this.#cipher = cipher;
    this.#indexer = new LocalBlindIndexer(vault);
    this.#repository = new DynamoDbLicenseRepository({
      client: this.documents,
      tables,
      shards: SHARDS,
      domainOf: (typeCode) => DEMO_LICENSE_TYPES.find((t) => t.code === typeCode)!.dataDomain,
    });
    this.#layoutDocuments = new S3DocumentStore(this.#s3, {
      bucket: `elicense-${STAGE}-documents`,
      kmsKeyId: 'local-platform-key',
    });
  }

  /** Storage of the platform at `platform` (in a test: `inject('platformUrl')`, …). */
  static async open(platform: PlatformLocation): Promise<PlatformStorage> {
    const vault = await LocalKeyVault.open({ dir: join(platform.dataDir, 'keys') });
    return new PlatformStorage(platform, vault, await localFieldCipher(vault));
  }

  /** The storage behind a retrieval: a license by id, as the retrieval group reads it. */
  get licenses(): DynamoDbLicenseRepository {
    return this.#repository;
  }

  close(): void {
    this.#dynamodb.destroy();
    this.#s3.destroy();
  }

  /** A fresh serial of a demo license, signed with its issuer's seal key and stored as issue stores it. */
  async issue(demo: DemoLicense = DEMO_LICENSES[0]!, options: IssueOptions = {}): Promise<StoredLicense> {
    const type = DEMO_LICENSE_TYPES.find((t) => t.code === demo.typeCode)!;
    const agency = DEMO_AGENCIES.find((a) => a.uscc === demo.issuer)!;
    const holder = { codeType: demo.holder.codeType, code: options.holderCode ?? demo.holder.code };
    const data: Record<string, unknown> = { ...demo.data, [type.holder.codeField]: holder.code };
    const validity = { ...(demo.data[type.validity.field!] as { from: string; until: string }) };
    if (options.validUntil !== undefined) validity.until = options.validUntil;
    data[type.validity.field!] = validity;
    const id = buildLicenseId({
      typeCode: demo.typeCode,
      issuerCode: demo.issuer,
      serial: `E2E${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`,
      version: '001',
    });
    const index = this.#nextIndex++;
    const now = Math.floor(Date.now() / 1000);
    const { signer } = await this.#vault.keyFor(agency.sealKey!.keyRef);
    const issued = await issueSdJwtVc(
      {
        licenseId: id,
        issuer: agencyIssuer(this.base, agency.uscc),
        fields: data,
        issuedAt: now,
        validFrom: Date.parse(`${validity.from}T00:00:00+08:00`) / 1000,
        validUntil: Date.parse(`${validity.until}T00:00:00+08:00`) / 1000 + DAY_SECONDS,
        status: { uri: statusListUri(this.base, this.#listId), idx: index },
      },
      signer,
    );
    const document = options.withDocument
      ? {
          ...(await this.#layoutDocuments.put({
            bytes: minimalPdf(`layout of ${id}`),
            mediaType: 'application/pdf',
          })),
          mediaType: 'application/pdf' as const,
        }
      : undefined;
    const content = await sealLicenseContent(
      this.#cipher,
      { dataDomain: type.dataDomain, licenseId: id },
      issued,
      {
        validity,
        holderCodeType: holder.codeType,
        ...(document ? { document } : {}),
      },
    );
    const issuedAt = new Date().toISOString();
    const record = await this.#repository.issue(
      {
        id,
        holderIndex: await this.#indexer.tokenFor(holder.codeType, holder.code),
        statusSlot: { listId: this.#listId, index },
        issuedAt,
        content: { ...content },
      },
      this.#event('license.issued', demo.issuer, id),
    );
    return { record, sdJwt: issued.sdJwt, holder, data };
  }

  /** Suspends or revokes a stored license, as the issuer's status change writes it. */
  async changeStatus(
    license: StoredLicense,
    to: Extract<StoredStatus, 'suspended' | 'revoked'>,
  ): Promise<void> {
    const at = new Date().toISOString();
    const change = transition(license.record.status, to, {
      actor: { kind: 'agency', id: license.record.issuerCode },
      at,
      reason: 'e2e: the retrieval tests need a license that is not valid',
    });
    await this.#repository.changeStatus({
      licenseId: license.record.id,
      expectedVersion: license.record.version,
      history: license.record.history,
      change,
      statusSlot: license.record.statusSlot,
      auditEvent: this.#event(
        to === 'revoked' ? 'license.revoked' : 'license.suspended',
        license.record.issuerCode,
        license.record.id,
      ),
    });
  }

  /** The layout document's bytes as stored, checked against its digest. */
  async documentBytes(license: StoredLicense): Promise<Uint8Array> {
    const document = (license.record.content as { document?: { key: string; sha256: string } }).document!;
    return (await this.#layoutDocuments.get(document)).bytes;
  }

  /** Registers {@link SECOND_RELYING} once; later calls find it registered. */
  async registerSecondRelyingAgency(): Promise<void> {
    const jwk = demoPrivateKey(SECOND_RELYING.keyId, SECOND_RELYING.algorithm).export({ format: 'jwk' });
    const key: ApiKey = {
      keyId: SECOND_RELYING.keyId,
      algorithm: SECOND_RELYING.algorithm,
      publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: SECOND_RELYING.keyId },
      status: 'active',
      created: '2025-01-01T00:00:00Z',
    };
    try {
      await this.config.createAgency({
        uscc: SECOND_RELYING.uscc,
        name: '演示市不动产登记中心（e2e）',
        roles: ['relying'],
        apiKeys: [key],
        areaCode: '330100',
        demo: true,
      });
    } catch (error) {
      if (!(error instanceof ConfigRecordExists)) throw error;
    }
  }

  /** The audit event with this id, read back through the audit log reader around `near`. */
  async auditEvent(id: string, near: Date): Promise<AuditEvent | undefined> {
    const range = { from: new Date(near.getTime() - 60_000), to: new Date(near.getTime() + 60_000) };
    let cursor: string | undefined;
    do {
      const page = await this.audit.readRange(range, { limit: 500, ...(cursor ? { cursor } : {}) });
      const found = page.items.find((event) => event.id === id);
      if (found) return found;
      cursor = page.cursor;
    } while (cursor !== undefined);
    return undefined;
  }

  #event(action: string, agency: string, licenseId: string): AuditEvent {
    return {
      id: `e2e-${randomUUID()}`,
      time: new Date().toISOString(),
      actor: { kind: 'agency', id: agency },
      action,
      subject: { licenseId },
      outcome: 'success',
      details: { e2e: 'stored directly by the retrieval tests' },
    };
  }
}

/** A citizen identity number of a person born on 1990-03-07 in the demo area, unique per call. */
export function newCitizenId(): string {
  const sequence = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const first17 = `33010219900${Math.floor(Math.random() * 9) + 1}${day}${sequence}`;
  return first17 + citizenIdCheckChar(first17);
}

function usccOf(registration: string, area: string, organizationBody: string): string {
  const first17 = `${registration}${area}${organizationBody}${organizationCodeCheckChar(organizationBody)}`;
  return first17 + usccCheckChar(first17);
}
