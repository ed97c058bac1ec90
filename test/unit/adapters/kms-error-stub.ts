// What real KMS answers where moto does not (it signs with and disables keys as no KMS would):
// a stub over HTTP that answers every request with one KMS error, which the SDK then parses as
// KMS's own.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';

/** A KMS client whose every call fails with `errorType`; close() stops the stub. */
export async function kmsAnswering(
  errorType: string,
): Promise<{ kms: KMSClient; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ __type: errorType, message: `stub ${errorType}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kms = new KMSClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    kms,
    close: async () => {
      kms.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
