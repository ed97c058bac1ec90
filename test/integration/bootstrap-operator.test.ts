// The first operator of a fresh stage, over DynamoDB Local: `elicense bootstrap operator` run as
// a child process with the suite's AWS environment writes the operator and its audit event, a
// second run is refused and changes nothing, bad input changes nothing, and a request signed
// with the generated key passes the agency authenticator over the real registry and nonce
// table. Two bootstraps racing for one USCC over the real conditional create: one wins.

import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoConfigStore } from '#adapters/aws/config-store.ts';
import { DynamoNonceStore } from '#adapters/aws/nonce-store.ts';
import { bootstrapOperator, OperatorAlreadyRegistered } from '#app/bootstrap-operator.ts';
import { jwkThumbprint } from '#core/keys/jwk-thumbprint.ts';
import { agencyAuthenticator } from '#http/agency-auth.ts';
import { ConfigVersionConflict, RegistryAlreadyBootstrapped } from '#ports/config-store.ts';
import { signAgencyRequest } from '../../sdk/agency-client.ts';
import { testUscc } from '../unit/app/operator/fakes.ts';
import { apiGatewayEvent } from '../unit/http-signatures/fakes.ts';
import { provisionStoreStage, type StoreStage } from './stores/stage.ts';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../bin/elicense');
const ENDPOINT = 'https://abcdef1234.execute-api.cn-north-1.amazonaws.com.cn/prod';
const OPERATOR = testUscc(901);

let stage: StoreStage;
let raceStage: StoreStage;
let dir: string;

beforeAll(async () => {
  [stage, raceStage] = await Promise.all([
    provisionStoreStage('it-bootstrap'),
    provisionStoreStage('it-bootstrap-race'),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'elicense-bootstrap-'));
});

afterAll(async () => {
  await Promise.all([stage.dispose(), raceStage.dispose()]);
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command against the suite's emulators (process.env holds their endpoints). */
async function bootstrap(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(cli, ['bootstrap', 'operator', '--stage', stage.name, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

async function items(table: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await stage.documents.send(
    new ScanCommand({ TableName: table, ConsistentRead: true }),
  );
  return Items.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}

const operatorArgs = (uscc: string, keyId: string) => [
  '--uscc',
  uscc,
  '--name',
  '省大数据管理局',
  '--area-code',
  '330000',
  '--key-id',
  keyId,
];

describe('elicense bootstrap operator', () => {
  const keyFile = () => join(dir, 'op-1.jwk.json');

  test('the first run registers the operator, its audit event and a 0600 key file', async () => {
    const result = await bootstrap([...operatorArgs(OPERATOR, 'op-1'), '--generate-key', keyFile()]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      stage: stage.name,
      agency: OPERATOR,
      name: '省大数据管理局',
      roles: ['operator'],
      keyId: 'op-1',
      algorithm: 'ecdsa-p256-sha256',
      keyFile: keyFile(),
    });

    const written = JSON.parse(await readFile(keyFile(), 'utf8'));
    expect(written).toMatchObject({
      agency: OPERATOR,
      algorithm: 'ecdsa-p256-sha256',
      jwk: { kty: 'EC', crv: 'P-256', kid: 'op-1', d: expect.any(String) },
    });
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);

    const config = new DynamoConfigStore(stage.documents, stage.table('config'));
    const stored = await config.getAgency(OPERATOR);
    expect(stored?.version).toBe(1);
    expect(stored?.value).toMatchObject({ roles: ['operator'], areaCode: '330000' });
    const { d: _private, kid: _kid, ...publicJwk } = written.jwk;
    expect(stored?.value.apiKeys).toEqual([
      expect.objectContaining({ keyId: 'op-1', algorithm: 'ecdsa-p256-sha256', status: 'active', publicJwk }),
    ]);

    const audit = await items(stage.table('audit'));
    expect(audit).toHaveLength(1);
    expect(JSON.parse(String(audit[0]!.event))).toMatchObject({
      actor: { kind: 'system', id: 'bootstrap' },
      action: 'agency.registered',
      outcome: 'success',
      details: {
        agency: OPERATOR,
        roles: ['operator'],
        apiKeys: ['op-1'],
        bootstrap: true,
        stage: stage.name,
      },
    });
  }, 60_000);

  test('a second run is refused with exit 1 and changes nothing, not even a key file', async () => {
    const configBefore = await items(stage.table('config'));
    const auditBefore = await items(stage.table('audit'));
    const second = join(dir, 'op-2.jwk.json');
    const result = await bootstrap([...operatorArgs(testUscc(902), 'op-2'), '--generate-key', second]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `refused, nothing changed: the registry already holds an operator agency (${OPERATOR})`,
    );
    expect(await items(stage.table('config'))).toEqual(configBefore);
    expect(await items(stage.table('audit'))).toEqual(auditBefore);
    await expect(stat(second)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  test('a private JWK or a bad USCC is refused with exit 2 before anything is read or written', async () => {
    const configBefore = await items(stage.table('config'));
    const privateFile = join(dir, 'private.jwk.json');
    const privateJwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    await writeFile(privateFile, JSON.stringify(privateJwk));
    const leaked = await bootstrap([...operatorArgs(testUscc(903), 'op-3'), '--public-key', privateFile]);
    expect(leaked.code).toBe(2);
    expect(leaked.stderr).toContain(
      'publicKey: the JWK holds a private key (member "d"); hand in the public key only',
    );

    const badUscc = `${OPERATOR.slice(0, 17)}${OPERATOR.endsWith('0') ? '1' : '0'}`;
    const publicFile = join(dir, 'public.jwk.json');
    await writeFile(
      publicFile,
      JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })),
    );
    const bad = await bootstrap([...operatorArgs(badUscc, 'op-4'), '--public-key', publicFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/uscc: check character is /);
    expect(await items(stage.table('config'))).toEqual(configBefore);
  }, 60_000);

  test('a request signed with the generated key passes the agency authenticator as operator', async () => {
    const { jwk, algorithm } = JSON.parse(await readFile(keyFile(), 'utf8'));
    const authenticate = agencyAuthenticator({
      config: new DynamoConfigStore(stage.documents, stage.table('config')),
      nonces: new DynamoNonceStore(stage.documents, stage.table('nonces')),
      demoData: 'refused',
    });
    const request = signAgencyRequest(
      {
        method: 'POST',
        url: `${ENDPOINT}/agencies`,
        headers: { 'Content-Type': 'application/json' },
        body: new TextEncoder().encode('{}'),
      },
      { keyId: jwk.kid, algorithm, privateKey: jwk },
    );
    const event = apiGatewayEvent({
      method: request.method,
      url: request.url,
      headers: Object.entries(request.headers),
      ...(request.body ? { body: request.body } : {}),
    });
    expect(await authenticate(event, ['operator'])).toBeUndefined();
    expect(event.requestContext.authorizer).toEqual({
      agency: OPERATOR,
      keyId: 'op-1',
      keyThumbprint: jwkThumbprint(jwk),
      roles: ['operator'],
    });
  });
});

describe('two bootstraps racing', () => {
  test('both find no operator, even for different agencies exactly one writes, with one audit event', async () => {
    const documents = raceStage.documents;
    const config = new DynamoConfigStore(documents, raceStage.table('config'), {
      auditTable: raceStage.table('audit'),
    });
    // Hold each listing until both have listed, so both pass the check before either writes.
    let release!: () => void;
    const bothListed = new Promise<void>((resolve) => {
      release = resolve;
    });
    let listed = 0;
    const racing = {
      listAgencies: async (page?: Parameters<typeof config.listAgencies>[0]) => {
        const result = await config.listAgencies(page);
        if (++listed === 2) release();
        await bothListed;
        return result;
      },
      createFirstOperator: config.createFirstOperator.bind(config),
    };
    let n = 0;
    const deps = {
      config: racing,
      stage: raceStage.name,
      now: () => new Date(),
      newEventId: () => `race-${++n}`,
    };
    const publicJwk = (keyId: string) => ({
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      kid: keyId,
    });
    const results = await Promise.allSettled(
      [
        { uscc: OPERATOR, keyId: 'race-a' },
        { uscc: testUscc(902), keyId: 'race-b' },
      ].map(({ uscc, keyId }) =>
        bootstrapOperator(
          { uscc, name: '省大数据管理局', areaCode: '330000', keyId, publicJwk: publicJwk(keyId) },
          deps,
        ),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    // The bootstrap mark refuses the loser; DynamoDB may report the overlap as a conflict instead.
    expect(refusal instanceof RegistryAlreadyBootstrapped || refusal instanceof ConfigVersionConflict).toBe(
      true,
    );
    expect(refusal).not.toBeInstanceOf(OperatorAlreadyRegistered);
    const { Items: audit = [] } = await documents.send(
      new ScanCommand({ TableName: raceStage.table('audit'), ConsistentRead: true }),
    );
    expect(audit).toHaveLength(1);
    const winner = (
      results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
        value: { apiKeys: { keyId: string }[] };
      }>
    ).value;
    expect(JSON.parse(String(audit[0]!.event)).details.apiKeys).toEqual(
      winner.value.apiKeys.map((k) => k.keyId),
    );
  });
});
