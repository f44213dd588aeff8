import { HangarError } from '../../core/errors.js';
import type { AuditEntry } from '../../client/index.js';
import { clientFor, clientOptions } from '../options.js';
import { formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * `hangar audit list`: the audit trail over `GET /api/2.0/hangar/audit/list` (admins), newest
 * first: one row per mutating request, with what it changed.
 */

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function registerAuditCommands(ctx: CommandContext): void {
  const { program, io } = ctx;
  const audit = program.command('audit').description('the audit trail: who changed what, when (admins)');
  clientOptions(audit.command('list').description('list audit rows, newest first'), io)
    .option('--entity-type <type>', 'only this kind of entity (registered_model, model_version, run, webhook, token, …)')
    .option('--entity-id <id>', 'only this entity (e.g. a model name, or NAME/VERSION for a version)')
    .option('--max-results <n>', 'rows to show, 1–10000', '100')
    .option('--page-token <token>', 'continue from the token a previous --json listing gave')
    .addHelpText(
      'after',
      `
Needs an admin token (MLFLOW_TRACKING_TOKEN) on a server started with --auth. With --json the
rows carry the entity before and after the change, and next_page_token when there are more.

Examples:
  hangar audit list --entity-type model_version --entity-id churn/3
  hangar audit list --max-results 20 --json`,
    )
    .action(async (o: { trackingUri: string; json?: boolean; entityType?: string; entityId?: string; maxResults: string; pageToken?: string }) => {
      if (!/^\d+$/.test(o.maxResults)) throw new HangarError('INVALID_PARAMETER_VALUE', `--max-results must be a whole number, got '${o.maxResults}'.`, { field: 'max-results' });
      const page = await clientFor(io, o.trackingUri).audit.list({
        ...(o.entityType === undefined ? {} : { entityType: o.entityType }),
        ...(o.entityId === undefined ? {} : { entityId: o.entityId }),
        maxResults: Number(o.maxResults),
        ...(o.pageToken === undefined ? {} : { pageToken: o.pageToken }),
      });
      if (o.json === true) {
        io.out(json({ entries: page.items, ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }) }));
        return;
      }
      io.out(
        formatTable(
          ['WHEN (UTC)', 'WHO', 'ACTION', 'ENTITY', 'STATUS'],
          page.items.map((e: AuditEntry) => [formatTime(e.timestamp), e.principal, e.action, e.entityType === null ? '' : `${e.entityType} ${e.entityId ?? ''}`.trim(), e.status]),
          { empty: '(no audit rows)' },
        ),
      );
      if (page.nextPageToken !== undefined) io.out(`(more: --page-token ${page.nextPageToken})\n`);
    });
}
