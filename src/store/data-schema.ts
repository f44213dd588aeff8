/**
 * Kysely row types of the tables of migration 0003: versioned datasets and their versions (issue 4). Part of the metadata
 * database's `Database` type, so `hangar db copy` carries them (list them in
 * `TABLES_IN_DEPENDENCY_ORDER` too).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DataTables {}
