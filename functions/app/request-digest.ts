import type { BlindIndexer } from '#ports/blind-indexer.ts';

/**
 * What an issuer's request key names: the agency, the operation and its object — as the
 * idempotency record is keyed on agency, method, path and key, so the same key on two licenses
 * or two actions is two requests — and the key.
 */
export type RequestName =
  | { agency: string; operation: 'issue'; requestKey: string; item?: number | undefined }
  | {
      agency: string;
      operation: 'reissue' | 'suspend' | 'reinstate' | 'revoke';
      licenseId: string;
      requestKey: string;
    };

/**
 * The digest a write keeps of the request that made it (a re-issued or chosen-serial version,
 * a status change's history entry), so the same request run again after its idempotency record
 * was lost — deleted when the work failed part way, expired at the function's deadline, or never
 * saved (503) — knows what it meets for its own and answers as its first run would have.
 * Keyed by the blind index's secret, as an issuance key's serial is (issuanceSerial): a bare hash
 * stored with the license would let anyone reading the table test guesses at the key (an order
 * number, a counter). Hex keeps the name's case (the index upper-cases what it is given);
 * `REQUEST-KEY` is no holder code type.
 */
export async function requestDigest(name: RequestName, blindIndex: BlindIndexer): Promise<string> {
  const parts =
    name.operation === 'issue'
      ? [
          name.agency,
          name.operation,
          name.requestKey,
          ...(name.item === undefined ? [] : [String(name.item)]),
        ]
      : [name.agency, name.operation, name.licenseId, name.requestKey];
  return blindIndex.tokenFor('request-key', Buffer.from(JSON.stringify(parts), 'utf8').toString('hex'));
}
