/**
 * Kysely row types of the tables of migration 0005: the inference-log file index and ground-truth labels (issue 5). Part of the metadata
 * database's `Database` type, so `hangar db copy` carries them (list them in
 * `TABLES_IN_DEPENDENCY_ORDER` too).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ServingTables {}
