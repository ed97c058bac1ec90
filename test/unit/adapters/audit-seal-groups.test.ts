import { describe, expect, it } from 'vitest';
import { AUDIT_SHARDS, auditPartitionKeys } from '#adapters/aws/audit-items.ts';
import { DynamoAuditLogReader } from '#adapters/aws/audit-log-reader.ts';
import {
  AUDIT_SEAL_GROUP_COUNTS,
  auditLogIdOf,
  auditSealGroup,
  auditSealGroupCountOf,
  auditSealGroups,
  parseAuditSealGroupCount,
  sealGroupOfInvocation,
} from '#adapters/aws/audit-seal-groups.ts';

describe('audit seal groups', () => {
  it('deal every shard to exactly one group, each group as many, for every count offered', () => {
    for (const count of AUDIT_SEAL_GROUP_COUNTS) {
      const groups = auditSealGroups('prod', count);
      expect(groups).toHaveLength(count);
      expect(groups.flatMap((g) => g.shards).sort((a, b) => a - b)).toEqual(
        Array.from({ length: AUDIT_SHARDS }, (_, s) => s),
      );
      for (const group of groups) {
        expect(group.shards).toHaveLength(AUDIT_SHARDS / count);
        expect(group.shards.every((s) => s % count === group.index)).toBe(true);
      }
      expect(new Set(groups.map((g) => g.logId)).size).toBe(count);
    }
  });

  it('keep the stage’s one log id for one group and name the count in every other', () => {
    expect(auditSealGroups('prod', 1)).toEqual([
      { index: 0, count: 1, logId: 'elicense-prod-audit', shards: Array.from({ length: 32 }, (_, s) => s) },
    ]);
    expect(auditSealGroups('prod', 4).map((g) => g.logId)).toEqual([
      'elicense-prod-audit-g0of4',
      'elicense-prod-audit-g1of4',
      'elicense-prod-audit-g2of4',
      'elicense-prod-audit-g3of4',
    ]);
    // Chains of different counts never share a log id: a changed count starts new chains.
    expect(auditLogIdOf('prod', 0, 2)).not.toBe(auditLogIdOf('prod', 0, 4));
    expect(auditSealGroup('dev', 1, 2).shards).toEqual([
      1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
    ]);
  });

  it('refuse a count not offered and an index outside the count', () => {
    expect(() => auditSealGroup('prod', 0, 3)).toThrow(
      'expected a seal-group count of 1, 2, 4, 8, 16, 32, found 3',
    );
    expect(() => auditSealGroup('prod', 4, 4)).toThrow('expected a seal group from 0 to 3, found 4');
    expect(() => auditSealGroup('prod', -1, 4)).toThrow(RangeError);
  });

  it('read the count from the environment: 1 when unset, an error naming the variable otherwise', () => {
    expect(parseAuditSealGroupCount(undefined)).toBe(1);
    expect(parseAuditSealGroupCount('')).toBe(1);
    expect(parseAuditSealGroupCount('8')).toBe(8);
    for (const bad of ['3', '64', '4.0', ' 4', '0x4', 'four']) {
      expect(() => parseAuditSealGroupCount(bad)).toThrow(/ELICENSE_AUDIT_SEAL_GROUPS: expected one of/);
    }
  });

  it('give a reader the partitions of its group’s shards only, and refuse a shard list that is no group', () => {
    expect(auditPartitionKeys('2025030108', [1, 17])).toEqual(['A#2025030108#01', 'A#2025030108#17']);
    expect(auditPartitionKeys('2025030108')).toHaveLength(32);
    const documents = {} as ConstructorParameters<typeof DynamoAuditLogReader>[0];
    expect(
      () => new DynamoAuditLogReader(documents, 'audit', { shards: auditSealGroup('s', 3, 4).shards }),
    ).not.toThrow();
    for (const shards of [[], [3, 1], [1, 1], [32], [-1], [0.5]]) {
      expect(() => new DynamoAuditLogReader(documents, 'audit', { shards })).toThrow(RangeError);
    }
  });

  it('take the group of a sealer run from its invocation, and refuse any other invocation', () => {
    expect(sealGroupOfInvocation({ group: 0 }, 4)).toBe(0);
    expect(sealGroupOfInvocation({ group: 3 }, 4)).toBe(3);
    // The scheduled event of a rule from before seal groups: the one chain's, or nothing to do.
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
    expect(sealGroupOfInvocation(scheduled, 1)).toBe(0);
    expect(sealGroupOfInvocation(scheduled, 4)).toBeUndefined();
    expect(() => sealGroupOfInvocation({ group: 1 }, 1)).toThrow(/expected a sealer invocation/);
    expect(() => sealGroupOfInvocation({ source: 'aws.events' }, 4)).toThrow(/expected a sealer invocation/);
    for (const bad of [
      {},
      { group: 4 },
      { group: -1 },
      { group: '1' },
      { group: 1.5 },
      null,
      undefined,
      'x',
    ]) {
      expect(() => sealGroupOfInvocation(bad, 4)).toThrow(
        /expected a sealer invocation \{"group": k\} with k from 0 to 3/,
      );
    }
  });

  it('tell the count a log id of the stage names, and nothing for any other id', () => {
    expect(auditSealGroupCountOf('prod', 'elicense-prod-audit')).toBe(1);
    expect(auditSealGroupCountOf('prod', 'elicense-prod-audit-g3of4')).toBe(4);
    expect(auditSealGroupCountOf('prod', 'elicense-prod-audit-g31of32')).toBe(32);
    for (const other of [
      'elicense-prod-audit-g4of4',
      'elicense-prod-audit-g01of4',
      'elicense-prod-audit-g0of3',
      'elicense-prod-audit-g0of4x',
      'elicense-dev-audit-g0of2',
      'elicense-prod-2-audit',
      'elicense-prod-audit-x',
    ]) {
      expect(auditSealGroupCountOf('prod', other), other).toBeUndefined();
    }
  });
});
