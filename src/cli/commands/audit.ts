import { Option } from 'commander';
import { HangarError } from '../../core/errors.js';
import type { AuditEntry } from '../../client/index.js';
import { parseEventTime } from '../../serving/protocol.js';
import { clientFor, clientOptions } from '../options.js';
import { formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * `hangar audit list`: the audit trail over `GET /api/2.0/hangar/audit/list` (admins), newest
 * first: one row per mutating request, with what it changed; filtered on the server by entity,
 * principal, action, time range and outcome.
 */

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface AuditFlags {
  trackingUri: string;
  json?: boolean;
  entityType?: string;
  entityId?: string;
  principal?: string;
  action?: string;
  from?: string;
  to?: string;
  status?: 'succeeded' | 'failed';
  maxResults: string;
  pageToken?: string;
}

export function registerAuditCommands(ctx: CommandContext): void {
  const { program, io } = ctx;
  const audit = program.command('audit').description('the audit trail: who changed what, when (admins)');
  clientOptions(audit.command('list').description('list audit rows, newest first'), io)
    .option('--entity-type <type>', 'only this kind of entity (registered_model, model_version, run, webhook, token, …)')
    .option('--entity-id <id>', 'only this entity (e.g. a model name, or NAME/VERSION for a version)')
    .option('--principal <name>', 'only requests by this principal (who)')
    .option('--action <action>', "only this action (what), e.g. 'POST /api/2.0/mlflow/transition-requests/approve'")
    .option('--from <time>', 'only rows at or after this time: ISO-8601 (UTC unless a zone is given) or epoch ms')
    .option('--to <time>', 'only rows before this time (same forms as --from)')
    .addOption(new Option('--status <outcome>', 'only requests that succeeded (HTTP status below 400) or failed').choices(['succeeded', 'failed']))
    .option('--max-results <n>', 'rows to show, 1–10000', '100')
    .option('--page-token <token>', 'continue from the token a previous --json listing gave')
    .addHelpText(
      'after',
      `
Needs an admin token (MLFLOW_TRACKING_TOKEN) on a server started with --auth. With --json the
rows carry the entity before and after the change, and next_page_token when there are more.

The filters given are combined with AND. --from and --to take ISO-8601 (2026-11-01,
2026-11-01T09:30:00Z, 2026-11-01T10:30:00+01:00) or epoch milliseconds; the range includes
--from and stops before --to.

Examples:
  hangar audit list --entity-type model_version --entity-id churn/3
  hangar audit list --principal alice --from 2026-11-01 --to 2026-12-01
  hangar audit list --action 'POST /api/2.0/mlflow/transition-requests/approve' --status failed
  hangar audit list --max-results 20 --json`,
    )
    .action(async (o: AuditFlags) => {
      if (!/^\d+$/.test(o.maxResults)) throw new HangarError('INVALID_PARAMETER_VALUE', `--max-results must be a whole number, got '${o.maxResults}'.`, { field: 'max-results' });
      const from = o.from === undefined ? undefined : parseEventTime(o.from, 'from', '--from');
      const to = o.to === undefined ? undefined : parseEventTime(o.to, 'to', '--to');
      if (from !== undefined && to !== undefined && from >= to) throw new HangarError('INVALID_PARAMETER_VALUE', `--to must be after --from, got --from ${o.from} --to ${o.to}.`, { field: 'to' });
      const page = await clientFor(io, o.trackingUri).audit.list({
        ...(o.entityType === undefined ? {} : { entityType: o.entityType }),
        ...(o.entityId === undefined ? {} : { entityId: o.entityId }),
        ...(o.principal === undefined ? {} : { principal: o.principal }),
        ...(o.action === undefined ? {} : { action: o.action }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(o.status === undefined ? {} : { status: o.status }),
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
