/**
 * Kysely row types of the tables of migration 0007: per-model webhook scopes (issue 3). Part of
 * the metadata database's `Database` type, so `hangar db copy` carries them (listed in
 * `TABLES_IN_DEPENDENCY_ORDER` too).
 */

/** A webhook limited to one registered model; NULL `model_name` once that model was deleted. */
export interface WebhookScopesTable {
  webhook_id: string;
  model_name: string | null;
}

export interface GovernanceScopeTables {
  webhook_scopes: WebhookScopesTable;
}
