import { describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { UnsupportedMediaType, mediaType, parseCsv, parseEventTime, parseScoringRequest, rowEventTimes } from './protocol.js';

const cols = (t: { columns: Map<string, ArrayLike<unknown>> }): Record<string, unknown[]> => Object.fromEntries([...t.columns].map(([k, v]) => [k, Array.from(v)]));

function badRequest(fn: () => unknown): HangarError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HangarError);
    expect((e as HangarError).code).toBe('BAD_REQUEST');
    return e as HangarError;
  }
  throw new Error('expected a BAD_REQUEST');
}

describe('content type rules (415)', () => {
  it('accepts JSON and CSV with or without charset=utf-8', () => {
    expect(mediaType('application/json')).toBe('json');
    expect(mediaType('application/json; charset=utf-8')).toBe('json');
    expect(mediaType('application/json; charset=UTF-8')).toBe('json');
    expect(mediaType('text/csv')).toBe('csv');
    expect(mediaType('text/csv;charset=utf-8')).toBe('csv');
  });

  it('refuses another charset, another parameter, another media type, or none', () => {
    expect(() => mediaType('application/json; charset=latin-1')).toThrow(UnsupportedMediaType);
    expect(() => mediaType('application/json; format=pandas-split')).toThrow(/Unrecognized content type parameters: format/);
    expect(() => mediaType('text/plain')).toThrow(UnsupportedMediaType);
    expect(() => mediaType(undefined)).toThrow(UnsupportedMediaType);
  });
});

describe('the four JSON input forms', () => {
  it('dataframe_split, with and without index', () => {
    const r = parseScoringRequest('application/json', JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 4]], index: [0, 1] } }));
    expect(r.format).toBe('dataframe_split');
    expect(r.table.rows).toBe(2);
    expect(cols(r.table)).toEqual({ a: [1, 3], b: [2, 4] });
  });

  it('dataframe_records, filling keys absent from some rows with null', () => {
    const r = parseScoringRequest('application/json', JSON.stringify({ dataframe_records: [{ a: 1, b: 'x' }, { a: 3 }] }));
    expect(cols(r.table)).toEqual({ a: [1, 3], b: ['x', null] });
  });

  it('instances as lists are positional; as dictionaries are named', () => {
    const lists = parseScoringRequest('application/json', JSON.stringify({ instances: [[1, 2], [3, 4]] }));
    expect(lists.table.positional).toBe(true);
    expect(cols(lists.table)).toEqual({ 0: [1, 3], 1: [2, 4] });
    const dicts = parseScoringRequest('application/json', JSON.stringify({ instances: [{ a: 1 }, { a: 2 }] }));
    expect(dicts.table.positional).toBe(false);
    expect(cols(dicts.table)).toEqual({ a: [1, 2] });
  });

  it('inputs as columns or as rows, and params beside them', () => {
    const columns = parseScoringRequest('application/json', JSON.stringify({ inputs: { a: [1, 3], b: [2, 4] }, params: { k: 1 } }));
    expect(cols(columns.table)).toEqual({ a: [1, 3], b: [2, 4] });
    expect(columns.params).toEqual({ k: 1 });
    const rows = parseScoringRequest('application/json', JSON.stringify({ inputs: [[1, 2]] }));
    expect(rows.table.rows).toBe(1);
  });

  it('rejects zero or two input fields, a bare list, and malformed JSON with BAD_REQUEST', () => {
    expect(badRequest(() => parseScoringRequest('application/json', JSON.stringify({ rows: [] }))).message).toMatch(/exactly one of the input fields/);
    expect(badRequest(() => parseScoringRequest('application/json', JSON.stringify({ instances: [], inputs: [] }))).message).toMatch(/"instances","inputs"/);
    badRequest(() => parseScoringRequest('application/json', JSON.stringify([{ a: 1 }])));
    badRequest(() => parseScoringRequest('application/json', '{"dataframe_records": [{"a": 1}'));
  });

  it('rejects ragged rows and columns, naming where', () => {
    expect(badRequest(() => parseScoringRequest('application/json', JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1]] } }))).message).toMatch(/row 0 has 1 values for 2 columns/);
    expect(badRequest(() => parseScoringRequest('application/json', JSON.stringify({ inputs: { a: [1, 2], b: [1] } }))).message).toMatch(/column 'b'/);
    expect(badRequest(() => parseScoringRequest('application/json', JSON.stringify({ dataframe_records: [1, 2] }))).message).toMatch(/row 0/);
  });
});

describe('CSV', () => {
  it('types columns as pandas would and reads empty fields as missing', () => {
    const t = parseCsv('a,b,c,d\n1,x,true,\n2.5,"y, z",false,3\n');
    expect(t.rows).toBe(2);
    expect(cols(t)).toEqual({ a: [1, 2.5], b: ['x', 'y, z'], c: [true, false], d: [null, 3] });
  });

  it('needs a header and rectangular lines', () => {
    badRequest(() => parseCsv(''));
    expect(badRequest(() => parseCsv('a,b\n1\n')).message).toMatch(/line 2 has 1 fields for 2 columns/);
  });
});

describe('event times', () => {
  it('reads epoch ms and ISO-8601 dates and date-times, zone-less as UTC', () => {
    expect(parseEventTime('988704300000', 'h')).toBe(Date.UTC(2001, 4, 1, 8, 5));
    expect(parseEventTime(988704300000, 'h')).toBe(Date.UTC(2001, 4, 1, 8, 5));
    expect(parseEventTime('2001-05-01T08:05:00Z', 'h')).toBe(Date.UTC(2001, 4, 1, 8, 5));
    expect(parseEventTime('2001-05-01 08:05:00', 'h')).toBe(Date.UTC(2001, 4, 1, 8, 5));
    expect(parseEventTime('2001-05-01T10:05:00.000+02:00', 'h')).toBe(Date.UTC(2001, 4, 1, 8, 5));
    expect(parseEventTime('2001-05-01', 'h')).toBe(Date.UTC(2001, 4, 1));
    expect(parseEventTime('2000-02-29', 'h')).toBe(Date.UTC(2000, 1, 29));
  });

  it('refuses anything else with INVALID_PARAMETER_VALUE naming the field', () => {
    for (const bad of ['May 1 2001', '2001-02-29', '2001-13-01', '2001-05-01T25:00:00Z', '1.5', 1.5, '', 'NaN', true, '99999999999999999', '2001-05-01T08:05:00 PST']) {
      let err: unknown;
      try {
        parseEventTime(bad, 'Hangar-Event-Time');
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'Hangar-Event-Time' });
    }
  });

  it('per row: the column where it has a value, the fallback elsewhere; none without the column', () => {
    const table = { rows: 3, positional: false, columns: new Map<string, ArrayLike<unknown>>([['t', ['2001-05-01', null, 988761600000]]]) };
    expect(Array.from(rowEventTimes(table, 't', 7) as Float64Array)).toEqual([Date.UTC(2001, 4, 1), 7, Date.UTC(2001, 4, 2)]);
    expect(rowEventTimes(table, 'other', 7)).toBe(7);
    expect(rowEventTimes(table, undefined, 7)).toBe(7);
  });
});
