import { Option, type Command } from 'commander';
import type { ActivityInfo, HangarClient } from '../../client/index.js';
import type { Governance } from '../../governance/index.js';
import { clientFor, clientOptions, configFrom, repeatable, serverSide, storeOptions, type StoreFlags } from '../options.js';
import { formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * Governance commands: `hangar tokens` (on the database, like `hangar db`, so the first admin
 * token can be made before anyone can authenticate), and over the SDK `hangar requests`,
 * `hangar comments`, `hangar webhooks`, and `hangar models history|rollback|activities|permissions`.
 * Also adds `--auth` and `--default-permission` to `hangar server`.
 */

const LEVELS = ['NO_PERMISSIONS', 'CAN_READ', 'CAN_EDIT', 'CAN_MANAGE_STAGING_VERSIONS', 'CAN_MANAGE_PRODUCTION_VERSIONS', 'CAN_MANAGE'];

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function activityTable(list: ActivityInfo[], withVersion: boolean): string {
  return formatTable(
    [...(withVersion ? ['VERSION'] : []), 'WHEN (UTC)', 'WHO', 'ACTIVITY', 'FROM', 'TO', 'ALIAS', 'COMMENT'],
    list.map((a) => [
      ...(withVersion ? [a.version] : []),
      formatTime(a.creationTimestamp),
      a.userId,
      a.activityType,
      a.fromStage,
      a.toStage,
      a.alias,
      a.comment,
    ]),
    { empty: '(no activity)' },
  );
}

type ClientFlags = { trackingUri: string; json?: boolean };

export function registerGovernanceCommands(ctx: CommandContext): void {
  const { program, io, models } = ctx;
  const client = (o: ClientFlags): HangarClient => clientFor(io, o.trackingUri);
  const governanceModule = () => import('../../governance/index.js');

  // --- hangar server --auth ----------------------------------------------------------------------
  const server = program.commands.find((c) => c.name() === 'server');
  server
    ?.option('--auth', 'require API tokens: callers without one get --default-permission (read-only unless set)')
    .addOption(new Option('--default-permission <level>', 'permission level of callers without a token').choices(LEVELS))
    .option('--webhook-allow-private-hosts', 'let webhooks deliver to loopback and private addresses (off: SSRF guard)');

  // --- tokens: on the database ---------------------------------------------------------------------
  const tokens = program.command('tokens').description('API tokens (bearer tokens for MLFLOW_TRACKING_TOKEN), managed on the database');
  const withStore = async <T>(o: StoreFlags, fn: (gov: Governance) => Promise<T>): Promise<T> => {
    const config = configFrom(io, o);
    const { openCheckedStore } = await serverSide();
    const { Governance } = await governanceModule();
    const { GovernanceStore } = await import('../../store/governance-store.js');
    const store = await openCheckedStore(config.backendStoreUri);
    const gov = new Governance(GovernanceStore.for(store));
    try {
      return await fn(gov);
    } finally {
      gov.close();
      await store.close();
    }
  };

  storeOptions(tokens.command('create').description('create a token and print it once (only its hash is stored)'), false)
    .requiredOption('--user <name>', 'the principal the token authenticates')
    .option('--admin', 'an admin token: every permission on every model, tokens and webhooks')
    .option('--description <text>', 'what the token is for')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  hangar tokens create --user ci-bot\n  export MLFLOW_TRACKING_TOKEN=hgr_…')
    .action(async (o: StoreFlags & { user: string; admin?: boolean; description?: string; json?: boolean }) => {
      const { token, record } = await withStore(o, (gov) => gov.createToken({ principal: o.user, isAdmin: o.admin === true, description: o.description ?? null }));
      if (o.json === true) {
        io.out(json({ token, tokenId: record.tokenId, user: record.principal, isAdmin: record.isAdmin }));
        return;
      }
      io.out(`${token}\n`);
      io.err(`Token ${record.tokenId} for '${record.principal}'${record.isAdmin ? ' (admin)' : ''}. It is shown only now; send it as MLFLOW_TRACKING_TOKEN.\n`);
    });

  storeOptions(tokens.command('list').description('list tokens (never their secrets)'), false)
    .option('--user <name>', 'only this principal')
    .option('--json', 'print JSON')
    .action(async (o: StoreFlags & { user?: string; json?: boolean }) => {
      const list = await withStore(o, (gov) => gov.store.listTokens(o.user));
      if (o.json === true) return io.out(json(list));
      io.out(
        formatTable(
          ['TOKEN ID', 'USER', 'ADMIN', 'CREATED (UTC)', 'REVOKED (UTC)', 'DESCRIPTION'],
          list.map((t) => [t.tokenId, t.principal, t.isAdmin ? 'yes' : '', formatTime(t.creationTimestamp), formatTime(t.revokedTimestamp), t.description]),
        ),
      );
    });

  storeOptions(tokens.command('revoke').argument('<token-id>', 'the tok_… id from `hangar tokens list`').description('revoke a token'), false).action(
    async (tokenId: string, o: StoreFlags) => {
      const t = await withStore(o, (gov) => gov.store.revokeToken(tokenId));
      io.out(`Revoked ${t.tokenId} (${t.principal}).\n`);
    },
  );

  // --- models: history, rollback, activities, permissions --------------------------------------------
  clientOptions(models.command('history').argument('<name>', 'registered model name').description('every stage and alias change: who, when, why'), io).action(
    async (name: string, o: ClientFlags) => {
      const list = await client(o).governance.history(name);
      io.out(o.json === true ? json(list) : activityTable(list, true));
    },
  );

  clientOptions(
    models.command('rollback').argument('<name>', 'registered model name').description('restore the previous champion (alias and Production), archiving the current one'),
    io,
  )
    .option('--comment <text>', 'why (recorded in the activity log)')
    .action(async (name: string, o: ClientFlags & { comment?: string }) => {
      const r = await client(o).governance.rollback(name, o.comment);
      io.out(o.json === true ? json(r) : `Rolled back ${name}: champion v${r.fromVersion} → v${r.toVersion} (Production); v${r.fromVersion} archived.\n`);
    });

  clientOptions(
    models.command('activities').argument('<name>', 'registered model name').argument('<version>', 'version').description('the activity log of one version'),
    io,
  ).action(async (name: string, version: string, o: ClientFlags) => {
    const list = await client(o).governance.listActivities(name, version);
    io.out(o.json === true ? json(list) : activityTable(list, false));
  });

  const permissions = models.command('permissions').description('permission levels on a registered model');
  clientOptions(permissions.command('set').argument('<name>', 'registered model name').description('grant a level (needs Can Manage)'), io)
    .requiredOption('--user <principal>', 'who')
    .requiredOption('--level <level>', LEVELS.join(' | '))
    .action(async (name: string, o: ClientFlags & { user: string; level: string }) => {
      const p = await client(o).governance.setPermission(name, o.user, o.level);
      io.out(o.json === true ? json(p) : `${p.principal} has ${p.level} on ${p.name}.\n`);
    });
  clientOptions(permissions.command('list').argument('<name>', 'registered model name').description('list grants'), io).action(async (name: string, o: ClientFlags) => {
    const list = await client(o).governance.listPermissions(name);
    io.out(o.json === true ? json(list) : formatTable(['PRINCIPAL', 'LEVEL', 'GRANTED BY', 'UPDATED (UTC)'], list.map((p) => [p.principal, p.level, p.grantedBy, formatTime(p.lastUpdatedTimestamp)])));
  });
  clientOptions(permissions.command('delete').argument('<name>', 'registered model name').description('remove a grant'), io)
    .requiredOption('--user <principal>', 'who')
    .action(async (name: string, o: ClientFlags & { user: string }) => {
      await client(o).governance.deletePermission(name, o.user);
      io.out(`Removed ${o.user}'s grant on ${name}.\n`);
    });

  // --- transition requests -------------------------------------------------------------------------
  const requests = program.command('requests').description('transition requests: ask for, approve, reject or cancel a stage change');
  const requestCmd = (verb: string, description: string): Command =>
    clientOptions(requests.command(verb).argument('<name>', 'registered model name').argument('<version>', 'version').description(description), io);

  requestCmd('create', 'request a transition (needs Can Read)')
    .requiredOption('--stage <stage>', 'Staging, Production, Archived or None')
    .option('--comment <text>', 'why')
    .action(async (name: string, version: string, o: ClientFlags & { stage: string; comment?: string }) => {
      const r = await client(o).governance.createTransitionRequest(name, version, o.stage, o.comment);
      io.out(o.json === true ? json(r) : `Requested ${name} v${version} → ${r.toStage} (request ${r.id}, by ${r.userId}).\n`);
    });

  requestCmd('list', 'open requests of a version').action(async (name: string, version: string, o: ClientFlags) => {
    const list = await client(o).governance.listTransitionRequests(name, version);
    io.out(
      o.json === true
        ? json(list)
        : formatTable(['ID', 'TO', 'BY', 'WHEN (UTC)', 'COMMENT'], list.map((r) => [r.id, r.toStage, r.userId, formatTime(r.creationTimestamp), r.comment]), { empty: '(no open requests)' }),
    );
  });

  requestCmd('approve', 'approve the open request and apply the transition')
    .requiredOption('--stage <stage>', 'the requested stage')
    .option('--archive-existing-versions', 'archive the versions now in that stage (Staging and Production)')
    .option('--comment <text>', 'why')
    .action(async (name: string, version: string, o: ClientFlags & { stage: string; archiveExistingVersions?: boolean; comment?: string }) => {
      const a = await client(o).governance.approveTransitionRequest(name, version, o.stage, {
        archiveExistingVersions: o.archiveExistingVersions === true,
        ...(o.comment === undefined ? {} : { comment: o.comment }),
      });
      io.out(o.json === true ? json(a) : `Approved: ${name} v${version} ${a.fromStage ?? ''} → ${a.toStage ?? o.stage} by ${a.userId}.\n`);
    });

  requestCmd('reject', 'reject the open request')
    .requiredOption('--stage <stage>', 'the requested stage')
    .option('--comment <text>', 'why')
    .action(async (name: string, version: string, o: ClientFlags & { stage: string; comment?: string }) => {
      const a = await client(o).governance.rejectTransitionRequest(name, version, o.stage, o.comment);
      io.out(o.json === true ? json(a) : `Rejected: ${name} v${version} → ${o.stage} by ${a.userId}.\n`);
    });

  requestCmd('cancel', "cancel a request (your own, or anyone's with Can Manage)")
    .requiredOption('--stage <stage>', 'the requested stage')
    .option('--creator <principal>', 'whose request (default: you)')
    .option('--comment <text>', 'why')
    .action(async (name: string, version: string, o: ClientFlags & { stage: string; creator?: string; comment?: string }) => {
      const c = client(o);
      const creator = o.creator ?? (await c.governance.whoami()).user;
      const a = await c.governance.cancelTransitionRequest(name, version, o.stage, creator, o.comment);
      io.out(o.json === true ? json(a) : `Cancelled ${creator}'s request: ${name} v${version} → ${o.stage}.\n`);
    });

  // --- comments -------------------------------------------------------------------------------------
  const comments = program.command('comments').description('comments on model versions (recorded as activities)');
  clientOptions(
    comments.command('create').argument('<name>', 'registered model name').argument('<version>', 'version').argument('<text>', 'the comment').description('comment on a version'),
    io,
  ).action(async (name: string, version: string, text: string, o: ClientFlags) => {
    const c = await client(o).governance.createComment(name, version, text);
    io.out(o.json === true ? json(c) : `Comment ${c.id} by ${c.userId}.\n`);
  });
  clientOptions(comments.command('edit').argument('<id>', 'comment id').argument('<text>', 'the new text').description('edit your comment'), io).action(
    async (id: string, text: string, o: ClientFlags) => {
      const c = await client(o).governance.updateComment(id, text);
      io.out(o.json === true ? json(c) : `Comment ${c.id} edited.\n`);
    },
  );
  clientOptions(comments.command('delete').argument('<id>', 'comment id').description('delete a comment'), io).action(async (id: string, o: ClientFlags) => {
    await client(o).governance.deleteComment(id);
    io.out(`Comment ${id} deleted.\n`);
  });

  // --- webhooks -------------------------------------------------------------------------------------
  const webhooks = program.command('webhooks').description('signed webhooks on registry events (registry-wide: admins; --model: its managers)');
  clientOptions(webhooks.command('create').description('subscribe a URL to events'), io)
    .requiredOption('--name <name>', 'a name')
    .requiredOption('--url <url>', 'http(s) URL that receives POSTs')
    .requiredOption('--event <entity.action>', 'an event, e.g. model_version.created (repeatable)', repeatable)
    .option('--secret <secret>', 'HMAC key for X-MLflow-Signature (stored, never shown again)')
    .option('--description <text>', 'what it is for')
    .addOption(new Option('--status <status>', 'ACTIVE, DISABLED or TEST_MODE').choices(['ACTIVE', 'DISABLED', 'TEST_MODE']))
    .option('--model <name>', "only this registered model's events (needs Can Manage on it instead of admin)")
    .addHelpText(
      'after',
      '\nEvents and payloads: docs/webhooks.md. Without --model the webhook is registry-wide (admins only).\n\nExamples:\n' +
        '  hangar webhooks create --name ci --url https://ci.example.com/hook --event transition_request.created --secret s3cr3t\n' +
        '  hangar webhooks create --name churn-ci --model churn --url https://ci.example.com/churn --event model_version.created',
    )
    .action(async (o: ClientFlags & { name: string; url: string; event: string[]; secret?: string; description?: string; status?: 'ACTIVE' | 'DISABLED' | 'TEST_MODE'; model?: string }) => {
      const w = await client(o).governance.createWebhook({
        name: o.name,
        url: o.url,
        events: o.event,
        ...(o.secret === undefined ? {} : { secret: o.secret }),
        ...(o.description === undefined ? {} : { description: o.description }),
        ...(o.status === undefined ? {} : { status: o.status }),
        ...(o.model === undefined ? {} : { modelName: o.model }),
      });
      const scope = w.modelName === undefined ? '' : ` for model ${w.modelName ?? '(deleted)'}`;
      io.out(o.json === true ? json(w) : `Webhook ${w.id} (${w.status})${scope} → ${w.url}: ${w.events.join(', ')}\n`);
    });
  clientOptions(webhooks.command('list').description('list webhooks (every one: admins; --model: that model\'s)'), io)
    .option('--model <name>', "only this registered model's webhooks")
    .action(async (o: ClientFlags & { model?: string }) => {
      const list = await client(o).governance.listWebhooks(o.model === undefined ? {} : { modelName: o.model });
      io.out(
        o.json === true
          ? json(list)
          : formatTable(
              ['ID', 'NAME', 'MODEL', 'STATUS', 'URL', 'EVENTS'],
              list.map((w) => [w.id, w.name, w.modelName === undefined ? '(all)' : (w.modelName ?? '(deleted)'), w.status, w.url, w.events.join(',')]),
              { maxCellWidth: 80 },
            ),
      );
    });
  clientOptions(webhooks.command('test').argument('<id>', 'webhook id').description('send a sample event now and show the answer'), io)
    .option('--event <entity.action>', 'which event to simulate (default: its first)')
    .action(async (id: string, o: ClientFlags & { event?: string }) => {
      const r = await client(o).governance.testWebhook(id, o.event);
      io.out(o.json === true ? json(r) : `${r.success ? 'OK' : 'FAILED'}: ${r.responseStatus ?? '-'} ${r.errorMessage ?? r.responseBody ?? ''}\n`);
    });
  clientOptions(webhooks.command('delete').argument('<id>', 'webhook id').description('delete a webhook and its delivery log'), io).action(async (id: string, o: ClientFlags) => {
    await client(o).governance.deleteWebhook(id);
    io.out(`Webhook ${id} deleted.\n`);
  });
  clientOptions(webhooks.command('deliveries').description('the delivery log, newest first'), io)
    .option('--webhook <id>', 'only this webhook')
    .action(async (o: ClientFlags & { webhook?: string }) => {
      const list = await client(o).governance.listDeliveries(o.webhook);
      io.out(
        o.json === true
          ? json(list)
          : formatTable(
              ['WHEN (UTC)', 'WEBHOOK', 'EVENT', 'STATUS', 'ATTEMPTS', 'HTTP', 'ERROR'],
              list.map((d) => [formatTime(d.creationTimestamp), d.webhookId, d.event, d.status, d.attempts, d.responseStatus, d.errorMessage]),
              { empty: '(no deliveries)' },
            ),
      );
    });
}
