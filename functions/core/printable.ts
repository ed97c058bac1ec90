// Failure messages name what was found, and what was found is often attacker-supplied JSON.
// JSON.parse accepts any nesting depth, but JSON.stringify recurses and throws a RangeError
// (maximum call stack) at a few thousand levels: a message printed with it would turn a bad
// input into a crash. Hand-written because no library promises a never-throwing rendering.

/** `value` as JSON text, or `<unprintable …>` when it cannot be (nested too deeply); never throws. */
export function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `<unprintable ${Array.isArray(value) ? 'array' : typeof value}>`;
  }
}
