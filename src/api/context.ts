import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../core/config.js';
import type { Store } from '../store/port.js';
import type { ArtifactStore } from '../artifacts/port.js';

/** What a mutating request records in the audit table, set by its handler. */
export interface AuditNote {
  entityType: string;
  entityId: string;
  /** The entity before the change (registry and configuration changes). */
  before?: unknown;
  /** The entity after the change. */
  after?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; `anonymous` until authentication exists. */
    principal: string;
    /** Set by handlers of mutating requests; written to the audit table with the response. */
    audit: AuditNote | null;
    /** The parsed JSON body, or `{}` when there was none. */
    json: unknown;
  }
}

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Everything a route module needs. */
export interface ApiContext {
  app: FastifyInstance;
  config: Config;
  store: Store;
  artifacts: ArtifactStore;
  /**
   * Register an MLflow REST route under `/api/2.0/mlflow<path>` and `/ajax-api/2.0/mlflow<path>`.
   * The handler's return value is sent as JSON; the input is `req.json` (body) merged with the
   * query string for GET.
   */
  mlflow(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, handler: Handler): void;
}
