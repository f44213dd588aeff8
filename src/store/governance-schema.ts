/**
 * Kysely row types of the governance tables (migration 0002). Part of the metadata database's
 * `Database` type, so `hangar db copy` carries them; `governance-store.ts` maps them to domain
 * shapes.
 */
import type { Generated } from 'kysely';

export interface ApiTokensTable {
  token_id: string;
  principal: string;
  is_admin: number;
  token_hash: string;
  description: string | null;
  creation_timestamp: number;
  revoked_timestamp: number | null;
}

export interface ModelPermissionsTable {
  name: string;
  principal: string;
  level: string;
  granted_by: string;
  last_updated_timestamp: number;
}

export interface TransitionRequestsTable {
  request_id: Generated<number>;
  name: string;
  version: number;
  to_stage: string;
  creator: string;
  comment: string | null;
  status: string;
  decided_by: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface ActivitiesTable {
  activity_id: Generated<number>;
  name: string;
  version: number;
  activity_type: string;
  user_id: string;
  from_stage: string | null;
  to_stage: string | null;
  alias: string | null;
  comment: string | null;
  request_id: number | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface WebhooksTable {
  webhook_id: string;
  name: string;
  description: string | null;
  url: string;
  events: string;
  secret: string | null;
  status: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface WebhookDeliveriesTable {
  delivery_id: string;
  webhook_id: string;
  event: string;
  payload: string;
  status: string;
  attempts: number;
  response_status: number | null;
  response_body: string | null;
  error_message: string | null;
  creation_timestamp: number;
  last_attempt_timestamp: number | null;
}

export type GovernanceTables = {
  api_tokens: ApiTokensTable;
  model_permissions: ModelPermissionsTable;
  transition_requests: TransitionRequestsTable;
  activities: ActivitiesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
};
