import { replaceIdentityNumbers } from './identity-in-text.ts';

// Some text a caller sends is recorded in the audit log but cannot be refused: a User-Agent
// header is sent by the verifier's software, not written by a person, and a verification or a
// presentation's resolution answers whatever it says. An identity number in it would be kept in
// plain for good (identity-in-text.ts), so it is masked instead: every digit (and check
// character) of a number that holds one becomes `*`; the rest of the text, and the number's
// length and grouping, stay as sent.

/** `text` with each number holding a citizen identity number masked (digits → `*`). */
export function maskIdentityNumbers(text: string): string {
  return replaceIdentityNumbers(text, (number) => number.replace(/[0-9Xx]/g, '*'));
}
