/**
 * Feature tables of the flights example (`npm start`), declared as code: recent delay rates per
 * origin airport, per destination airport and per route. Each row is stamped at the **start** of a day and summarises the
 * seven days before it, so a flight's own delay (or any later one) never feeds the features it is
 * scored with: the point-in-time join takes, for a flight departing on day D, the row of day D,
 * built from flights in [D − 7 days, D).
 *
 * Plain objects in the default export need no import (docs/features.md); `hangar features apply
 * examples/flights` registers the tables and the feature service by hand. The same tables over another source (a Parquet file,
 * for a benchmark) come from `flightsFeatureTables(source)`; this file is their one definition.
 */

/** The previous seven days of `key` columns, as a SQL window over daily counts of `source`. */
function trailingWeek(source: string, keys: string[], prefix: string): string {
  const k = keys.join(', ');
  return `
    with daily as (
      select ${k}, date_trunc('day', date)::TIMESTAMP as day,
             count(*) as n, sum((delay > 15)::INTEGER) as late
      from ${source} group by all
    )
    select ${k}, day,
           (sum(late) over w)::DOUBLE / (sum(n) over w) as ${prefix}_delay_rate_7d,
           coalesce(sum(n) over w, 0)::BIGINT as ${prefix}_flights_7d
    from daily
    window w as (partition by ${k} order by day
                 range between interval 7 days preceding and interval 1 day preceding)`;
}

/**
 * One table of the 7-day delay rate and flight count per `keys`, named `<prefix>_delays_7d`, with
 * features `<prefix>_delay_rate_7d` and `<prefix>_flights_7d`.
 */
function delayTable(source: string, prefix: string, keys: string[], what: string) {
  return {
    name: `${prefix}_delays_7d`,
    keys,
    timestampKey: 'day',
    features: {
      [`${prefix}_delay_rate_7d`]: 'double',
      [`${prefix}_flights_7d`]: 'long',
    },
    source: trailingWeek(source, keys, prefix),
    // No expiry. Every flight's own day has a row for its airports and route (the flight is in the
    // data), so the point-in-time join never falls back to an older row and a TTL would change
    // nothing offline; online, the store checks the TTL against the wall clock, and the demo
    // replays 2001 — a TTL of days would withhold every value it looks up.
    ttl: 0,
    description: `Share of ${what} more than 15 minutes late over the 7 days before the day (null without flights).`,
    owner: 'data-eng',
    tags: { domain: 'flights' },
  };
}

/**
 * The three tables over `source`, a DuckDB table expression with the flights' `date`, `delay`,
 * `origin` and `destination`: `dataset('flights')` (a registered dataset, the default) or
 * `read_parquet('…/flights-3m.parquet')`.
 */
export function flightsFeatureTables(source = "dataset('flights')") {
  return [
    delayTable(source, 'origin', ['origin'], 'departures from the airport'),
    delayTable(source, 'destination', ['destination'], 'flights to the airport that left'),
    delayTable(source, 'route', ['origin', 'destination'], 'departures on the route'),
  ];
}

/**
 * The features the demo's models read (the origin and route tables, `MODEL_TABLES` in
 * `src/demo/flights-features.ts`), as one feature service: a client asks for
 * `feature_service: 'flights_delay_model_v1'` instead of listing the four features. `table:*` is
 * every feature of the table, expanded when the service is applied.
 */
export const flightsDelayModelService = {
  name: 'flights_delay_model_v1',
  features: ['origin_delays_7d:*', 'route_delays_7d:*'],
  description: 'The 7-day delay rates and flight counts of the origin airport and the route, as the delay models use them.',
  owner: 'ml',
  tags: { domain: 'flights' },
};

export default { tables: flightsFeatureTables(), services: [flightsDelayModelService] };
