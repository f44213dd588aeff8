/**
 * Prometheus metrics (prom-client) for the scoring server and for the tracking server. Each
 * server has its own registry, so two servers in one process (tests, `hangar serve` with a
 * local store) never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter } from '../core/request-counter.js';

/** Latency buckets in seconds: scoring is sub-millisecond to tens of milliseconds. */
const SCORING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The scoring server's metrics. */
export class ServingMetrics {
  readonly registry = new Registry();
  /** `hangar_serving_requests_total{route, status}`. */
  readonly requests: Counter<'route' | 'status'>;
  /** `hangar_serving_errors_total{code}`: requests answered with an error. */
  readonly errors: Counter<'code'>;
  /** `hangar_serving_request_duration_seconds{route}`. */
  readonly latency: Histogram<'route'>;
  /** `hangar_serving_rows_scored_total{model, version, role}` (role: served, shadow). */
  readonly rows: Counter<'model' | 'version' | 'role'>;
  /** `hangar_inference_log_buffer_rows`. */
  readonly bufferRows: Gauge;
  /** `hangar_inference_log_dropped_rows_total`. */
  readonly droppedRows: Counter;
  /** `hangar_inference_log_written_rows_total`. */
  readonly writtenRows: Counter;
  /** `hangar_inference_log_upload_failures_total`: file uploads to a remote log that failed (and will be retried). */
  readonly uploadFailures: Counter;
  /** `hangar_inference_log_unindexed_rows`: rows in files on local disk waiting to be uploaded or indexed. */
  readonly waitingRows: Gauge;
  /** `hangar_serving_model_info{model, version, flavor, role}` = 1 for each model loaded. */
  readonly modelInfo: Gauge<'model' | 'version' | 'flavor' | 'role'>;
  /** `hangar_serving_model_swaps_total{model}`. */
  readonly swaps: Counter<'model'>;
  readonly #counts: RequestCounter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'hangar_serving_requests_total', help: 'Scoring server requests by route and HTTP status.', labelNames: ['route', 'status'], registers });
    this.#counts = new RequestCounter(this.requests);
    this.errors = new Counter({ name: 'hangar_serving_errors_total', help: 'Requests answered with an error, by error code.', labelNames: ['code'], registers });
    this.latency = new Histogram({ name: 'hangar_serving_request_duration_seconds', help: 'Time from request to response, by route.', labelNames: ['route'], buckets: SCORING_BUCKETS, registers });
    this.rows = new Counter({ name: 'hangar_serving_rows_scored_total', help: 'Rows scored, by model, version and role (served or shadow).', labelNames: ['model', 'version', 'role'], registers });
    this.bufferRows = new Gauge({ name: 'hangar_inference_log_buffer_rows', help: 'Rows waiting in the inference-log buffer.', registers });
    this.droppedRows = new Counter({ name: 'hangar_inference_log_dropped_rows_total', help: 'Rows the inference log dropped because its buffer was full or a write failed.', registers });
    this.writtenRows = new Counter({ name: 'hangar_inference_log_written_rows_total', help: 'Rows written to indexed inference-log files.', registers });
    this.uploadFailures = new Counter({ name: 'hangar_inference_log_upload_failures_total', help: 'Inference-log file uploads to a remote log that failed; the files stay on local disk and are retried.', registers });
    this.waitingRows = new Gauge({ name: 'hangar_inference_log_unindexed_rows', help: 'Rows in inference-log files on local disk waiting to be uploaded or indexed.', registers });
    this.modelInfo = new Gauge({ name: 'hangar_serving_model_info', help: 'The models loaded (value 1), by name, version, flavor and role.', labelNames: ['model', 'version', 'flavor', 'role'], registers });
    this.swaps = new Counter({ name: 'hangar_serving_model_swaps_total', help: 'Model versions swapped in after an alias or stage moved.', labelNames: ['model'], registers });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hangar_serving_' });
  }

  /** Count one request (cheap: no label lookup in prom-client until the next scrape). */
  request(route: string, status: number): void {
    this.#counts.add(route, status);
  }

  /** The exposition text (Prometheus text format). */
  async text(): Promise<string> {
    this.#counts.flush();
    return this.registry.metrics();
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The tracking server's HTTP metrics: requests and latency by route and status. */
export class HttpMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #latency: Histogram<'method' | 'route'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'hangar_http_requests_total', help: 'HTTP requests by method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
    this.#latency = new Histogram({
      name: 'hangar_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hangar_' });
  }

  /** Record one answered request. `route` is the pattern (`/api/2.0/mlflow/runs/get`), never the raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#latency.observe({ method, route }, seconds);
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
