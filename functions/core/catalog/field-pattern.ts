// The pattern an operator may set on a string field, matched against every value an issuer or an
// applicant sends for it. The pattern is stored data and the value is request data, so neither may
// decide how long a match takes: JavaScript's backtracking RegExp spends exponential time on a
// pattern such as `(a|a)+` and a value that almost matches, blocking the event loop for every
// request the process serves. Patterns are therefore RE2 syntax, matched by re2js (the JavaScript
// port of RE2/RE2J) in time linear in the value; RE2 has no lookaround and no backreferences,
// which are what need backtracking.
//
// A pattern written for JavaScript is read as it was meant where RE2 spells the same thing
// otherwise: `\uXXXX` and `\u{…}` (`[\u4e00-\u9fa5]`, the common pattern of a Chinese name) become
// `\x{…}`, `\cJ` and `[^]` their RE2 forms (re2js's translateRegExp), and `\p{Script=Han}` /
// `\p{sc=Han}` become `\p{Han}`. What stays different: RE2's `\s` is ASCII (JavaScript's took
// U+3000 and U+00A0); long property names (`\p{Letter}`) and counts over 1,000 are refused.
//
// Unicode: re2js reads a JavaScript string by code points, so `.` and a class take an astral
// character (𠀀) whole, as the `u` flag did. The line terminators, where `.` differs (RE2 excludes
// only LF), never reach a pattern: license data refuses control characters first (license-data.ts).
//
// Linear in the value, a match still costs in proportion to the compiled program too: a 33-character
// pattern such as `(?:.?.?.?.?.?.?.?.?.?.?){1,1000}` compiles to 21,001 instructions and takes
// seconds on a 4,000-character value. Registration bounds the program by the value's length
// (MAX_PATTERN_WORK, license-type.ts).
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
    compiled = { ok: true, regex: RE2JS.compile(asRe2(pattern)) };
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

/**
 * The pattern in RE2's spelling: JavaScript escapes RE2 writes otherwise, translated by re2js
 * (it leaves RE2 syntax as it is), and the script property's long form, which it does not know.
 */
function asRe2(pattern: string): string {
  return RE2JS.translateRegExp(pattern).replace(
    /(?<!\\)((?:\\\\)*)\\([pP])\{(?:Script|sc)=([A-Za-z_]+)\}/g,
    (_, escapes: string, p: string, script: string) => `${escapes}\\${p}{${script}}`,
  );
}

/** The size of the compiled program (instructions): what each character of a value costs at most. */
export function fieldPatternProgramSize(pattern: string): number | undefined {
  const compiled = compileFieldPattern(pattern);
  return compiled.ok ? compiled.regex.programSize() : undefined;
}
