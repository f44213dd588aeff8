import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../../client/index.js';
import { loadConfig } from '../../core/config.js';
import { governanceFor } from '../../governance/index.js';
import { runCli } from '../program.js';
import { startServer, type RunningServer } from '../serve.js';
import { testIo } from '../test-support/cli.js';

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const t = testIo(env);
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('governance commands against a server with --auth', () => {
  let home: string;
  let server: RunningServer;
  let receiver: Server;
  let receiverUrl: string;
  const token: Record<string, string> = {};
  const as = (user: string) => ({ MLFLOW_TRACKING_TOKEN: token[user], MLFLOW_TRACKING_URI: server.url });
  const sdk = (user: string) => new HangarClient({ trackingUri: server.url, token: token[user], maxRetries: 0 });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'hangar-gov-cli-'));
    server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent', auth: true, webhookAllowPrivateHosts: true }));
    receiver = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await rm(home, { recursive: true, force: true });
  });

  it('creates tokens on the database, prints each once, lists them without secrets', async () => {
    for (const [user, admin] of [['root', true], ['alice', false], ['bob', false]] as const) {
      const r = await cli(['tokens', 'create', '--user', user, '--home', home, ...(admin ? ['--admin'] : [])]);
      expect(r.code, r.err).toBe(0);
      token[user] = r.out.trim();
      expect(token[user]).toMatch(/^hgr_[A-Za-z0-9_-]{43}$/);
      expect(r.err).toContain('shown only now');
    }
    const list = await cli(['tokens', 'list', '--home', home]);
    expect(list.out).toMatch(/^TOKEN ID\s+USER\s+ADMIN/);
    expect(list.out).toMatch(/root\s+yes/);
    for (const t of Object.values(token)) expect(list.out).not.toContain(t);
    expect((await cli(['server', '--help'])).out).toContain('--auth');
  });

  it('runs a request through approval, shows history, rolls back, and manages permissions', async () => {
    const name = 'cli-gov-model';
    await sdk('alice').createRegisteredModel(name);
    for (let i = 0; i < 2; i++) await sdk('alice').createModelVersion({ name, source: `mlflow-artifacts:/1/r${i}/artifacts/model` });
    await sdk('alice').transitionModelVersionStage(name, 1, 'Production');

    const req = await cli(['requests', 'create', name, '2', '--stage', 'Production', '--comment', 'better AUC'], as('bob'));
    expect(req.out).toMatch(/^Requested cli-gov-model v2 → Production \(request \d+, by bob\)/);
    const open = await cli(['requests', 'list', name, '2'], as('bob'));
    expect(open.out).toMatch(/Production\s+bob\s+.*better AUC/);

    const denied = await cli(['requests', 'approve', name, '2', '--stage', 'Production', '--archive-existing-versions'], as('bob'));
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^PERMISSION_DENIED: Principal 'bob' needs CAN_MANAGE_PRODUCTION_VERSIONS/);
    const approved = await cli(['requests', 'approve', name, '2', '--stage', 'Production', '--archive-existing-versions', '--comment', 'ok'], as('alice'));
    expect(approved.out).toBe('Approved: cli-gov-model v2 None → Production by alice.\n');
    const twice = await cli(['requests', 'approve', name, '2', '--stage', 'Production'], as('alice'));
    expect(twice.err).toMatch(/^RESOURCE_CONFLICT: .*already approved by 'alice'/);

    await cli(['comments', 'create', name, '2', 'deployed to prod'], as('bob'));
    const acts = await cli(['models', 'activities', name, '2', '--json'], as('bob'));
    expect((JSON.parse(acts.out) as Array<{ activityType: string }>).map((a) => a.activityType)).toEqual([
      'REQUESTED_TRANSITION',
      'APPROVED_REQUEST',
      'ALIAS_SET',
      'NEW_COMMENT',
    ]);

    const history = await cli(['models', 'history', name], as('bob'));
    expect(history.out.split('\n')[0]).toMatch(/^VERSION\s+WHEN \(UTC\)\s+WHO\s+ACTIVITY/);
    expect(history.out).toMatch(/2\s+\S+ \S+\s+alice\s+APPROVED_REQUEST\s+None\s+Production\s+ok/);
    expect(history.out).toMatch(/1\s+\S+ \S+\s+alice\s+SYSTEM_TRANSITION\s+Production\s+Archived/);

    expect((await cli(['models', 'rollback', name], as('bob'))).code).toBe(1);
    const back = await cli(['models', 'rollback', name, '--comment', 'alerts'], as('alice'));
    expect(back.out).toBe('Rolled back cli-gov-model: champion v2 → v1 (Production); v2 archived.\n');
    expect((await sdk('bob').getModelVersionByAlias(name, 'champion')).version).toBe(1);

    const grant = await cli(['models', 'permissions', 'set', name, '--user', 'bob', '--level', 'CAN_MANAGE_PRODUCTION_VERSIONS'], as('alice'));
    expect(grant.out).toBe(`bob has CAN_MANAGE_PRODUCTION_VERSIONS on ${name}.\n`);
    expect((await cli(['models', 'permissions', 'list', name], as('alice'))).out).toMatch(/bob\s+CAN_MANAGE_PRODUCTION_VERSIONS\s+alice/);
    expect((await cli(['models', 'permissions', 'set', name, '--user', 'bob', '--level', 'GOD'], as('alice'))).err).toMatch(/INVALID_PARAMETER_VALUE: Invalid permission level 'GOD'/);
  });

  it('manages webhooks and shows the delivery log', async () => {
    const created = await cli(['webhooks', 'create', '--name', 'ci', '--url', receiverUrl, '--event', 'model_version.created', '--secret', 's', '--json'], as('root'));
    expect(created.code, created.err).toBe(0);
    const id = (JSON.parse(created.out) as { id: string }).id;
    expect((await cli(['webhooks', 'create', '--name', 'x', '--url', receiverUrl, '--event', 'model_version.created'], as('alice'))).err).toMatch(/^PERMISSION_DENIED/);
    expect((await cli(['webhooks', 'test', id], as('root'))).out).toBe('OK: 200 ok\n');
    expect((await cli(['webhooks', 'list'], as('root'))).out).toContain(receiverUrl);
    const log = await cli(['webhooks', 'deliveries', '--webhook', id], as('root'));
    expect(log.out).toMatch(/model_version\.created\s+DELIVERED\s+1\s+200/);
    expect((await cli(['webhooks', 'delete', id], as('root'))).out).toBe(`Webhook ${id} deleted.\n`);
  });

  it("a model webhook: created by the model's manager, hears only that model, follows renames, goes quiet when the model is deleted", async () => {
    const bodies: string[] = [];
    const modelReceiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => modelReceiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(modelReceiver.address() as AddressInfo).port}/hook`;
    try {
      const mine = 'scoped-mine';
      const other = 'scoped-other';
      await sdk('alice').createRegisteredModel(mine);
      await sdk('root').createRegisteredModel(other);
      const created = await cli(['webhooks', 'create', '--name', 'mine', '--model', mine, '--url', url, '--event', 'model_version.created', '--json'], as('alice'));
      expect(created.code, created.err).toBe(0);
      const hook = JSON.parse(created.out) as { id: string; modelName: string };
      expect(hook.modelName).toBe(mine);
      // Can Manage on another model is not enough; nor is the model-creation event.
      expect((await cli(['webhooks', 'create', '--name', 'x', '--model', other, '--url', url, '--event', 'model_version.created'], as('alice'))).err).toMatch(/^PERMISSION_DENIED/);
      expect((await cli(['webhooks', 'create', '--name', 'x', '--model', mine, '--url', url, '--event', 'registered_model.created'], as('alice'))).err).toMatch(
        /^INVALID_PARAMETER_VALUE: registered_model\.created is for registry-wide webhooks only/,
      );
      expect((await cli(['webhooks', 'create', '--name', 'x', '--model', 'no-such-model', '--url', url, '--event', 'model_version.created'], as('root'))).err).toMatch(
        /^RESOURCE_DOES_NOT_EXIST/,
      );

      await sdk('root').createModelVersion({ name: other, source: 'mlflow-artifacts:/1/o/artifacts/model' });
      await sdk('alice').createModelVersion({ name: mine, source: 'mlflow-artifacts:/1/m/artifacts/model' });
      await governanceFor(server.store).webhooks.idle();
      expect(bodies.map((b) => (JSON.parse(b) as { data: { name: string } }).data.name)).toEqual([mine]);

      // Its managers list and read its log; the registry-wide listing stays for admins.
      const listed = await cli(['webhooks', 'list', '--model', mine], as('alice'));
      expect(listed.out).toMatch(new RegExp(`${hook.id}\\s+mine\\s+${mine}\\s+ACTIVE`));
      expect((await cli(['webhooks', 'list'], as('alice'))).err).toMatch(/^PERMISSION_DENIED/);
      expect((await cli(['webhooks', 'deliveries', '--webhook', hook.id], as('alice'))).out).toMatch(/model_version\.created\s+DELIVERED/);
      expect((await cli(['webhooks', 'list'], as('root'))).out).toMatch(new RegExp(`${hook.id}\\s+mine\\s+${mine}`));

      // The scope follows a rename.
      await sdk('alice').renameRegisteredModel(mine, `${mine}-2`);
      await sdk('alice').createModelVersion({ name: `${mine}-2`, source: 'mlflow-artifacts:/1/m2/artifacts/model' });
      await governanceFor(server.store).webhooks.idle();
      expect(bodies).toHaveLength(2);
      expect((await sdk('alice').governance.listWebhooks({ modelName: `${mine}-2` })).map((w) => w.id)).toEqual([hook.id]);

      // Deleting the model leaves the webhook firing for nothing, never for every model.
      await sdk('alice').deleteRegisteredModel(`${mine}-2`);
      const orphan = (await sdk('root').governance.listWebhooks()).find((w) => w.id === hook.id);
      expect(orphan?.modelName).toBeNull();
      await sdk('root').createModelVersion({ name: other, source: 'mlflow-artifacts:/1/o2/artifacts/model' });
      await governanceFor(server.store).webhooks.idle();
      expect(bodies).toHaveLength(2);
      expect((await cli(['webhooks', 'delete', hook.id], as('root'))).out).toBe(`Webhook ${hook.id} deleted.\n`);
    } finally {
      await new Promise((resolve) => modelReceiver.close(resolve));
    }
  });

  it('revokes a token: its holder is refused afterwards', async () => {
    const list = JSON.parse((await cli(['tokens', 'list', '--home', home, '--user', 'bob', '--json'])).out) as Array<{ tokenId: string }>;
    const revoked = await cli(['tokens', 'revoke', list[0]!.tokenId, '--home', home]);
    expect(revoked.out).toBe(`Revoked ${list[0]!.tokenId} (bob).\n`);
    const r = await cli(['requests', 'list', 'cli-gov-model', '1'], as('bob'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^UNAUTHENTICATED: /);
  });
});

describe('hangar server --auth', () => {
  it('starts a server that refuses anonymous writes and reports its default level', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hangar-gov-serve-'));
    const t = testIo();
    const done = runCli(['server', '--home', home, '--port', '0', '--log-level', 'silent', '--auth', '--default-permission', 'CAN_READ'], t.io);
    try {
      const out = await t.waitForOutput('listening on');
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
      const who = (await (await fetch(`${url}/api/2.0/hangar/whoami`)).json()) as Record<string, unknown>;
      expect(who).toMatchObject({ user: 'anonymous', auth_required: true, default_permission: 'CAN_READ' });
      const write = await fetch(`${url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
      expect(write.status).toBe(401);
    } finally {
      t.shutdown();
      expect(await done).toBe(0);
      await rm(home, { recursive: true, force: true });
    }
  });
});
