/**
 * The shape of a feature table as code: what `hangar features apply` registers, what
 * `compute` writes offline, what training sets join point-in-time and what the online store
 * materialises. Shared by the offline side (`src/data/features/`) and the online store
 * (`src/data/online/`).
 */

/** Value types a feature or key column may have (DuckDB types in brackets). */
export type FeatureType = 'double' | 'long' | 'boolean' | 'string' | 'timestamp';

/** One typed feature column. */
export interface FeatureSpec {
  /** Column name, unique within the table. */
  name: string;
  type: FeatureType;
  /** Free text shown in the catalogue. */
  description?: string;
  /** Tags, e.g. `{pii: 'true'}`; which tags mark sensitive data is decided in `sensitive.ts`. */
  tags?: Record<string, string>;
}

/** One primary-key (entity join key) column. */
export interface KeySpec {
  name: string;
  /** Keys are strings or integers. */
  type: 'string' | 'long';
}

/** Where a feature table's rows come from. */
export type FeatureSource =
  /** SQL over datasets and files (DuckDB); `dataset('name')` / `dataset('name', 3)` names a registered dataset version. */
  | { kind: 'sql'; sql: string }
  /** A TypeScript/JavaScript module exporting `transform(input) => rows`, resolved relative to the definitions file. */
  | { kind: 'transform'; module: string; export?: string; input?: string };

/** A feature table as declared in code or YAML. */
export interface FeatureTableSpec {
  /** Unique name, `[A-Za-z_][A-Za-z0-9_]*`. */
  name: string;
  /** Primary-key columns in lookup order (without the timestamp key). */
  keys: KeySpec[];
  /** The event-time column; part of the primary key. Absent for a table without history. */
  timestampKey?: string;
  /**
   * A column recording when each row was written (e.g. an ingestion time). Optional; when two
   * rows share keys and timestamp, the point-in-time join takes the one with the highest
   * created timestamp (semantics §e), and uniqueness is checked over keys, timestamp and it.
   */
  createdTimestampKey?: string;
  features: FeatureSpec[];
  source: FeatureSource;
  /** Time to live in milliseconds; 0 means a value never expires (semantics §e). */
  ttlMs: number;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

/**
 * A feature service: a named list of feature references that one model uses, so a look-up can
 * say `feature_service: 'flights_delay_model_v1'` instead of listing the features (Feast's
 * `FeatureService`). Registered by `hangar features apply` with the tables.
 */
export interface FeatureServiceSpec {
  /** Unique name, `[A-Za-z_][A-Za-z0-9_]*`. */
  name: string;
  /**
   * Feature references `table:feature`, in answer order, without duplicates. As declared, a
   * reference may be `table:*` (every feature of the table, in the table's order); apply
   * expands it, so a registered service lists features only.
   */
  features: string[];
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}
