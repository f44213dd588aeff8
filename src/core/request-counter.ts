import type { Counter } from 'prom-client';

/**
 * Requests counted by route and HTTP status in plain numbers on the hot path, and added to a
 * prom-client counter only when metrics are scraped: a labelled `inc()` per request costs a
 * measurable share of a scoring request or a feature look-up.
 */
export class RequestCounter {
  readonly #pending = new Map<string, { route: string; status: number; n: number }>();

  constructor(private readonly counter: Counter<'route' | 'status'>) {}

  /** Count one request. */
  add(route: string, status: number): void {
    const key = `${route} ${status}`;
    const p = this.#pending.get(key);
    if (p === undefined) this.#pending.set(key, { route, status, n: 1 });
    else p.n++;
  }

  /** Move the counts into the prom-client counter (before a scrape). */
  flush(): void {
    for (const p of this.#pending.values()) {
      if (p.n > 0) this.counter.inc({ route: p.route, status: String(p.status) }, p.n);
      p.n = 0;
    }
  }
}
