import { describe, expect, it } from 'vitest';
import { datasetsInSql, isSensitiveTag, monitorReportUrl } from '../../web/src/lib/hangar-helpers.js';

/** The pure helpers of the governance, monitoring and data pages, without a browser. */
describe('web UI helpers of the Hangar pages', () => {
  it('marks sensitive-data tags unless their value says no', () => {
    expect(isSensitiveTag('pii', 'true')).toBe(true);
    expect(isSensitiveTag('PII', 'yes')).toBe(true);
    expect(isSensitiveTag('sensitive', 'email')).toBe(true);
    expect(isSensitiveTag('classification', 'Restricted')).toBe(true);
    expect(isSensitiveTag('pii', 'false')).toBe(false);
    expect(isSensitiveTag('pii', ' No ')).toBe(false);
    expect(isSensitiveTag('gdpr', '0')).toBe(false);
    expect(isSensitiveTag('classification', 'public')).toBe(false);
    expect(isSensitiveTag('domain', 'flights')).toBe(false);
  });

  it("finds the datasets a feature table's SQL reads, once each", () => {
    expect(datasetsInSql("select * from dataset('flights') join dataset( 'airports', 3) using (origin) union all select * from dataset('flights')")).toEqual(['flights', 'airports']);
    expect(datasetsInSql("select * from read_parquet('/data/x.parquet')")).toEqual([]);
  });

  it('builds the report address of a monitor run with the id encoded', () => {
    expect(monitorReportUrl('mrun_1&x')).toBe('/api/2.0/hangar/monitors/runs/report?run_id=mrun_1%26x');
  });
});
