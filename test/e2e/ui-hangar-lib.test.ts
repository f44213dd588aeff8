import { describe, expect, it } from 'vitest';
import { datasetsInSql, markOfTag, monitorReportUrl, sensitiveMarkOf } from '../../web/src/lib/hangar-helpers.js';

/** The pure helpers of the governance, monitoring and data pages, without a browser. */
describe('web UI helpers of the Hangar pages', () => {
  it("finds the server's sensitive marks of a feature and of the tags that made them", () => {
    const marks = [
      { feature: 'customers:email', tag: 'pii', value: 'true', on: 'feature' as const, reason: 'tag pii=true on the feature' },
      { feature: 'customers:age', tag: 'classification', value: 'restricted', on: 'table' as const, reason: 'tag classification=restricted on the table' },
    ];
    expect(sensitiveMarkOf(marks, 'customers', 'email')?.reason).toBe('tag pii=true on the feature');
    expect(sensitiveMarkOf(marks, 'customers', 'id')).toBeUndefined();
    expect(sensitiveMarkOf(undefined, 'customers', 'email')).toBeUndefined();
    expect(markOfTag(marks, 'pii', 'customers', 'email')?.feature).toBe('customers:email');
    expect(markOfTag(marks, 'pii', 'customers', 'age')).toBeUndefined();
    expect(markOfTag(marks, 'pii', 'customers')).toBeUndefined();
    expect(markOfTag(marks, 'classification', 'customers')?.on).toBe('table');
    expect(markOfTag(marks, 'classification', 'orders')).toBeUndefined();
  });

  it("finds the datasets a feature table's SQL reads, once each", () => {
    expect(datasetsInSql("select * from dataset('flights') join dataset( 'airports', 3) using (origin) union all select * from dataset('flights')")).toEqual(['flights', 'airports']);
    expect(datasetsInSql("select * from read_parquet('/data/x.parquet')")).toEqual([]);
  });

  it('builds the report address of a monitor run with the id encoded', () => {
    expect(monitorReportUrl('mrun_1&x')).toBe('/api/2.0/hangar/monitors/runs/report?run_id=mrun_1%26x');
  });
});
