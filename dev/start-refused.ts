/**
 * A start of the local platform refused before anything runs (nothing started, nothing changed):
 * `npm start` prints the message alone, without a stack, and exits 2.
 */
export class StartRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartRefused';
  }
}
