// A per-container read-through cache of catalog records (license types, agencies) with a bounded
// age. The hot read paths — retrieval, the holder's reads, grant creation, issuance, public
// verification — each read one record per request, and a strongly consistent read of one item is
// capped by DynamoDB (3,000 RCU/s per item, which adaptive capacity cannot split): read on every
// request, the most used type or one issuer's agency throttles long before the platform's design
// load. Read through this cache, a container reads a record at most once per maximum age.
//
// No library serves this: the age bound, sharing a read under way, a short life for "no such
// record" and the fresher reads seal-key lookups need (freshAfter, readWithin) are a few lines over a Map,
// where a general cache (lru-cache and the like) would still need all of them written around it.
//
// Its size is bounded by the registry, never by request input: a key stays only while its record
// exists (a type code or USCC that names nothing, or is being read for the first time, is kept
// apart, at most maxUnknown of them, for a short time), and never more than maxRecords records — an attacker sending random type codes
// makes reads, not memory.

/** How long "no such record" is trusted: short, so a record registered just now shows quickly. */
export const UNKNOWN_RECORD_MAX_AGE_MS = 1_000;
/** At most this many "no such record" answers are kept: their keys come from requests. */
export const MAX_UNKNOWN_RECORDS = 1_000;
/** At most this many records are kept; the oldest read goes first (a safeguard on memory). */
export const MAX_CACHED_RECORDS = 1_000;

export interface RecordCacheOptions {
  /** How long a record read is trusted: a change to it shows within this. */
  maxAgeMs: number;
  unknownMaxAgeMs?: number;
  maxUnknown?: number;
  maxRecords?: number;
  now?: () => number;
}

interface Entry<V> {
  read: Promise<V | undefined>;
  /** When the read was asked. */
  at: number;
  /** How many lookups had begun when it was asked (see freshAfter). */
  after: number;
}

/** One kind of record (key → record, undefined when none), read through a cache. Create one per container. */
export class RecordCache<V> {
  readonly #read: (key: string) => Promise<V | undefined>;
  readonly #maxAgeMs: number;
  readonly #unknownMaxAgeMs: number;
  readonly #maxUnknown: number;
  readonly #maxRecords: number;
  readonly #now: () => number;
  /** Records read, and reads under way of keys found naming one, oldest first. */
  readonly #records = new Map<string, Entry<V>>();
  /**
   * Keys found naming no record, and reads under way of keys not found naming one yet, oldest
   * first. A key is in one of the two maps at most.
   */
  readonly #unknown = new Map<string, Entry<V>>();
  #lookups = 0;

  constructor(read: (key: string) => Promise<V | undefined>, options: RecordCacheOptions) {
    this.#read = read;
    this.#maxAgeMs = options.maxAgeMs;
    this.#unknownMaxAgeMs = Math.min(options.unknownMaxAgeMs ?? UNKNOWN_RECORD_MAX_AGE_MS, options.maxAgeMs);
    this.#maxUnknown = options.maxUnknown ?? MAX_UNKNOWN_RECORDS;
    this.#maxRecords = options.maxRecords ?? MAX_CACHED_RECORDS;
    this.#now = options.now ?? Date.now;
  }

  /** How many keys the cache holds, records and "no such record" answers together. */
  get size(): number {
    return this.#records.size + this.#unknown.size;
  }

  /** The record as read within the maximum age (a read under way is shared), else read now. */
  get(key: string): Promise<V | undefined> {
    const known = this.#records.get(key);
    if (known !== undefined && this.#now() - known.at < this.#maxAgeMs) return known.read;
    const unknown = this.#unknown.get(key);
    if (unknown !== undefined && this.#now() - unknown.at < this.#unknownMaxAgeMs) return unknown.read;
    return this.#readNow(key).read;
  }

  /**
   * Begins a lookup that may need a record read after it began (freshAfter): say a license's seal
   * key, which a record read before the license was may not hold yet. Returns its number.
   */
  lookup(): number {
    return ++this.#lookups;
  }

  /**
   * The record as read after lookup number `lookup` began: a read already asked since (under way
   * or done) is shared, so lookups made together, or a burst naming keys the record lacks, make
   * one read — never one per lookup; a read asked before the lookup began is not used.
   */
  freshAfter(key: string, lookup: number): Promise<V | undefined> {
    const entry = this.#records.get(key) ?? this.#unknown.get(key);
    if (entry !== undefined && entry.after >= lookup) return entry.read;
    return this.#readNow(key).read;
  }

  /**
   * The record (or "no such record") as read less than `ageMs` ago — a read under way is shared —
   * else read now: a fresher record than get's, for at most one read per key per `ageMs` whatever
   * the number of lookups. Unlike freshAfter, an answer asked up to `ageMs` before the lookup may
   * serve it, so what it lacks must not be remembered (CachedSealStandings.sealKeyOf).
   */
  readWithin(key: string, ageMs: number): Promise<V | undefined> {
    const entry = this.#records.get(key) ?? this.#unknown.get(key);
    if (entry !== undefined && this.#now() - entry.at < ageMs) return entry.read;
    return this.#readNow(key).read;
  }

  #readNow(key: string): Entry<V> {
    const entry: Entry<V> = {
      read: Promise.resolve().then(() => this.#read(key)),
      at: this.#now(),
      after: this.#lookups,
    };
    // A key holds a place among the records only once found to name one: a read under way for
    // any other (a type code a request made up) waits among the unknown, so it never evicts a
    // record, and a flood of them bounds itself there.
    const among = this.#records.has(key) ? this.#records : this.#unknown;
    among.delete(key); // re-inserted last: each map stays in the order reads were asked
    among.set(key, entry);
    this.#bound();
    const held = () => this.#records.get(key) ?? this.#unknown.get(key);
    entry.read.then(
      (value) => {
        const now = held();
        if (now !== undefined && now !== entry) return; // a later read answers for the key
        this.#records.delete(key);
        this.#unknown.delete(key);
        (value === undefined ? this.#unknown : this.#records).set(key, entry);
        this.#bound();
      },
      // A failed read is asked again by the next caller, not remembered.
      () => {
        if (this.#records.get(key) === entry) this.#records.delete(key);
        if (this.#unknown.get(key) === entry) this.#unknown.delete(key);
      },
    );
    return entry;
  }

  /** Lets the oldest go of either map past its bound. */
  #bound(): void {
    if (this.#records.size > this.#maxRecords) this.#records.delete(this.#records.keys().next().value!);
    if (this.#unknown.size > this.#maxUnknown) this.#unknown.delete(this.#unknown.keys().next().value!);
  }
}
