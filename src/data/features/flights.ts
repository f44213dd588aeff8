/**
 * The feature tables the main job (`npm start`) and `npm run bench -- features` compute from the
 * US flights data (vega-datasets' flights-3m: date, delay, distance, origin, destination).
 *
 * Each table's rows are stamped at the END of their day and cover that day and the six before,
 * so a flight on day d sees windows ending at the start of day d at the latest: no flight's own
 * label (delay > 15) feeds its features. Hour and weekday come from the flight's own departure
 * time (the learners' date parts), not from a table.
 */
import { toFeatureTableSpecs } from './define.js';
import type { FeatureTableSpec } from './spec.js';
import type { LabelsSource, TrainingSetRequest } from './training-set.js';

/** A 7-day rolling delay rate and flight count per `keys`, one row per key and day, stamped at the day's end. */
function rollingSql(source: string, keys: string[], prefix: string): string {
  const k = keys.join(', ');
  return `with daily as (
  select ${k}, date_trunc('day', date) as day, sum((delay > 15)::BIGINT) as late, count(*) as flights
  from ${source} group by all
)
select ${k}, day + interval 1 day as day_end,
       (sum(late) over w)::DOUBLE / (sum(flights) over w) as ${prefix}_delay_rate_7d,
       (sum(flights) over w)::BIGINT as ${prefix}_flights_7d
from daily
window w as (partition by ${k} order by day range between interval 6 days preceding and current row)`;
}

/**
 * The three flights feature tables over `source`, a DuckDB table expression such as
 * `dataset('flights')` or `read_parquet('…/flights-3m.parquet')`: `origin_delays`,
 * `route_delays` and `destination_delays` (7-day rates and counts), TTL 7 days.
 */
export function flightsFeatureTables(source: string): FeatureTableSpec[] {
  return toFeatureTableSpecs([
    {
      name: 'origin_delays',
      keys: ['origin'],
      timestampKey: 'day_end',
      features: [
        { name: 'origin_delay_rate_7d', type: 'double', description: 'Share of departures more than 15 min late over the 7 days ending at day_end' },
        { name: 'origin_flights_7d', type: 'long', description: 'Departures over the same 7 days' },
      ],
      source: rollingSql(source, ['origin'], 'origin'),
      ttl: '7d',
      description: 'Recent delays per origin airport, known at the end of each day.',
      owner: 'data-engineering',
      tags: { domain: 'flights', pii: 'false' },
    },
    {
      name: 'route_delays',
      keys: ['origin', 'destination'],
      timestampKey: 'day_end',
      features: [
        { name: 'route_delay_rate_7d', type: 'double', description: 'Share of flights on the route more than 15 min late over 7 days' },
        { name: 'route_flights_7d', type: 'long', description: 'Flights on the route over the same 7 days' },
      ],
      source: rollingSql(source, ['origin', 'destination'], 'route'),
      ttl: '7d',
      description: 'Recent delays per route, known at the end of each day.',
      owner: 'data-engineering',
      tags: { domain: 'flights', pii: 'false' },
    },
    {
      name: 'destination_delays',
      keys: ['destination'],
      timestampKey: 'day_end',
      features: [
        { name: 'destination_delay_rate_7d', type: 'double', description: 'Share of arrivals whose flight left more than 15 min late over 7 days' },
        { name: 'destination_flights_7d', type: 'long', description: 'Arrivals over the same 7 days' },
      ],
      source: rollingSql(source, ['destination'], 'destination'),
      ttl: '7d',
      description: 'Recent delays per destination airport, known at the end of each day.',
      owner: 'data-engineering',
      tags: { domain: 'flights', pii: 'false' },
    },
  ]);
}

/** The training-set request joining flights labels (with `origin`, `destination`, `date`) to the three tables. */
export function flightsTrainingSetRequest(labels: LabelsSource): TrainingSetRequest {
  return {
    labels,
    lookups: [
      { table: 'origin_delays', timestampLookupKey: 'date' },
      { table: 'route_delays', timestampLookupKey: 'date' },
      { table: 'destination_delays', timestampLookupKey: 'date' },
    ],
  };
}
