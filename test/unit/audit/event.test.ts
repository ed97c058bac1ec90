import { describe, expect, it } from 'vitest';
import { canonicalEventBytes, canonicalJsonBytes } from '#core/audit/canonical.ts';
import { AuditEventInvalid, compareAuditEvents, parseAuditEvent } from '#core/audit/event.ts';
import { auditEvent } from './fixtures.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function issuesOf(value: unknown): string[] {
  try {
    parseAuditEvent(value);
  } catch (error) {
    if (error instanceof AuditEventInvalid) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
}

describe('audit event schema', () => {
  it('accepts a complete event and returns it unchanged', () => {
    const event = auditEvent(1);
    expect(parseAuditEvent(event)).toEqual(event);
  });

  it('refuses fields it does not know instead of dropping them before sealing', () => {
    expect(issuesOf({ ...auditEvent(0), note: 'slipped in' })).toEqual(['']);
    expect(issuesOf({ ...auditEvent(0), actor: { kind: 'agency', id: 'x', role: 'admin' } })).toEqual([
      'actor',
    ]);
  });

  it('requires RFC 3339 UTC times with milliseconds that exist', () => {
    for (const time of [
      '2025-03-01T08:00:00Z',
      '2025-03-01T08:00:00.000+08:00',
      '2025-02-30T08:00:00.000Z',
      '2025-03-01 08:00:00.000Z',
    ]) {
      expect(issuesOf({ ...auditEvent(0), time })).toEqual(['time']);
    }
  });

  it('names each bad field by path', () => {
    const bad = {
      ...auditEvent(2),
      id: '',
      action: 'License Issued',
      outcome: 'ok',
      subject: { licenseVersion: '1' },
      actor: { kind: 'robot', id: 'x' },
    };
    expect(issuesOf(bad).sort()).toEqual(['action', 'actor.kind', 'id', 'outcome', 'subject.licenseVersion']);
    expect(() => parseAuditEvent(bad)).toThrow(/outcome: /);
  });

  it('orders events by time, then id', () => {
    const a = { id: 'b', time: '2025-03-01T08:00:00.000Z' };
    const b = { id: 'a', time: '2025-03-01T08:00:00.001Z' };
    const c = { id: 'c', time: '2025-03-01T08:00:00.000Z' };
    expect([b, c, a].sort(compareAuditEvents)).toEqual([a, c, b]);
  });
});

describe('canonical bytes (RFC 8785)', () => {
  it('do not depend on key order', () => {
    const event = auditEvent(1);
    const reversed = Object.fromEntries(Object.entries(event).reverse()) as typeof event;
    expect(text(canonicalEventBytes(reversed))).toBe(text(canonicalEventBytes(event)));
  });

  it('sort keys by UTF-16 code unit and write numbers and strings the JCS way', () => {
    expect(text(canonicalJsonBytes({ b: [1e21, 0.1, -0], a: '办理\u2028', A: true, é: null }))).toBe(
      '{"A":true,"a":"办理\u2028","b":[1e+21,0.1,0],"é":null}',
    );
  });

  it('write an event as sorted, whitespace-free UTF-8', () => {
    const event = auditEvent(0);
    expect(text(canonicalEventBytes(event))).toBe(
      '{"action":"license.issued","actor":{"id":"11100000000013338W","kind":"agency"},' +
        '"details":{"attempt":1,"channel":"api"},"id":"evt-00000","outcome":"success",' +
        '"subject":{"licenseId":"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",' +
        '"licenseVersion":"001"},"time":"2025-03-01T08:00:00.000Z"}',
    );
  });

  it('refuse values JSON cannot carry', () => {
    expect(() => canonicalJsonBytes(Number.NaN)).toThrow(/expected a JSON value/);
    expect(() => canonicalJsonBytes(undefined)).toThrow(/expected a JSON value/);
    expect(() => canonicalEventBytes({ ...auditEvent(0), details: { n: 10n } } as never)).toThrow(
      AuditEventInvalid,
    );
  });
});
