import { describe, expect, it } from 'vitest';
import { addYears, isCivilDate, normaliseCivilDate } from '#core/civil-date.ts';

describe('civil dates', () => {
  it('knows which days exist', () => {
    expect(isCivilDate('2024-02-29')).toBe(true);
    expect(isCivilDate('2023-02-29')).toBe(false);
    expect(isCivilDate('2000-02-29')).toBe(true);
    expect(isCivilDate('1900-02-29')).toBe(false);
    expect(isCivilDate('2025-04-31')).toBe(false);
    expect(isCivilDate('2025-4-3')).toBe(false);
  });

  it.each([
    ['2015-03-01', '2015-03-01'],
    ['2015.03.01', '2015-03-01'],
    ['2015/3/1', '2015-03-01'],
    ['20150301', '2015-03-01'],
    ['2015年3月1日', '2015-03-01'],
    [' 2015.12.31 ', '2015-12-31'],
  ])('reads %s as %s', (printed, iso) => {
    expect(normaliseCivilDate(printed)).toBe(iso);
  });

  it.each(['2015-11', '2015.03-01', '2015311', '2015-02-29', '15.03.01', '长期', ''])(
    'refuses %j',
    (printed) => {
      expect(normaliseCivilDate(printed)).toBeUndefined();
    },
  );

  it('adds years, landing a 29 February on 28 February in a common year', () => {
    expect(addYears('2016-05-10', 20)).toBe('2036-05-10');
    expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
    expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
    expect(() => addYears('2024/02/29', 1)).toThrow(RangeError);
  });
});
