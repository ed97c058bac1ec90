// The pattern an operator may set on a string field, matched against every value an issuer or an
// applicant sends for it. The pattern is stored data and the value is request data, so neither may
// decide how long a match takes: JavaScript's backtracking RegExp spends exponential time on a
// pattern such as `(a|a)+` and a value that almost matches, blocking the event loop for every
// request the process serves. Patterns are therefore RE2 syntax, matched by re2js (the JavaScript
// port of RE2/RE2J) in time linear in the value; RE2 has no lookaround and no backreferences,
// which are what need backtracking.
//
// Unicode: re2js reads a JavaScript string by code points, so `.` and a class take an astral
// character (𠀀) whole, as the `u` flag did. Unlike the `u` flag, `\d`, `\w`, `\s` and `\b` are
// ASCII-only in RE2 (`\s` does not take U+3000), and `\p{Han}`, not `\p{Script=Han}`, names a
// script. The line terminators, where `.` differs (RE2 excludes only LF), never reach a pattern:
// license data refuses control characters first (license-data.ts).
import { RE2JS } from 're2js';

/** A pattern compiled for whole-value matching, or why RE2 could not compile it. */
export type CompiledFieldPattern = { ok: true; regex: RE2JS } | { ok: false; reason: string };

// Compiling is the costly part (tens of milliseconds for a large Unicode class), and the same few
// patterns are matched on every issue, so compiled patterns are kept by their text. A bound keeps
// a process that sees many types (or many updates of one) from holding every pattern it ever saw;
// the oldest used is dropped first.
const CACHE_SIZE = 256;
const cache = new Map<string, CompiledFieldPattern>();

/** The pattern compiled by RE2 (cached by its text), or why it is not RE2 syntax. */
export function compileFieldPattern(pattern: string): CompiledFieldPattern {
  const cached = cache.get(pattern);
  if (cached !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, cached);
    return cached;
  }
  let compiled: CompiledFieldPattern;
  try {
    compiled = { ok: true, regex: RE2JS.compile(pattern) };
  } catch (error) {
    compiled = { ok: false, reason: (error as Error).message };
  }
  cache.set(pattern, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

/**
 * Whether the whole value matches the pattern, whatever anchors its author wrote (RE2 anchors the
 * compiled pattern at both ends, so an alternation `a|b` cannot match a part of `ab`). Undefined
 * when the pattern is not RE2 syntax — a type stored before patterns were RE2 — so the caller
 * refuses the value rather than match it by a backtracking engine.
 */
export function matchesWholeValue(pattern: string, value: string): boolean | undefined {
  const compiled = compileFieldPattern(pattern);
  return compiled.ok ? compiled.regex.testExact(value) : undefined;
}
