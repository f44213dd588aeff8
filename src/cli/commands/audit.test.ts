import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAgainst } from '../test-support/cli.js';
import { startLiveServer, type LiveServer } from '../test-support/live-server.js';

/** `hangar audit list` against a live server (without --auth the local user is the admin). */

let live: LiveServer;
beforeAll(async () => {
  live = await startLiveServer('hangar-cli-audit-');
});
afterAll(async () => {
  await live?.close();
});

describe('hangar audit list', () => {
  it('lists the rows of one entity newest first, as a table and as JSON, and pages', async () => {
    const name = `audited-${Date.now()}`;
    await live.client.createRegisteredModel(name);
    await live.client.updateRegisteredModel(name, 'first');
    await live.client.updateRegisteredModel(name, 'second');

    const t = await runCliAgainst(live.url, ['audit', 'list', '--entity-type', 'registered_model', '--entity-id', name]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    const lines = t.out.trim().split('\n');
    expect(lines[0]).toMatch(/^WHEN \(UTC\)\s+WHO\s+ACTION\s+ENTITY\s+STATUS$/);
    expect(lines.slice(1).map((l) => /(POST|PATCH) \S+/.exec(l)?.[0])).toEqual([
      'PATCH /api/2.0/mlflow/registered-models/update',
      'PATCH /api/2.0/mlflow/registered-models/update',
      'POST /api/2.0/mlflow/registered-models/create',
    ]);
    expect(lines[1]).toContain(`registered_model ${name}`);

    const j = await runCliAgainst(live.url, ['audit', 'list', '--entity-type', 'registered_model', '--entity-id', name, '--max-results', '2', '--json']);
    expect(j.code).toBe(0);
    const page = JSON.parse(j.out) as { entries: Array<{ principal: string; after: { description?: string } | null }>; next_page_token?: string };
    expect(page.entries).toHaveLength(2);
    expect(page.entries[0]).toMatchObject({ principal: 'anonymous', after: { description: 'second' } });
    expect(page.next_page_token).toBeDefined();
    const rest = await runCliAgainst(live.url, ['audit', 'list', '--entity-type', 'registered_model', '--entity-id', name, '--json', '--page-token', page.next_page_token!]);
    expect((JSON.parse(rest.out) as { entries: unknown[] }).entries).toHaveLength(1);
  });

  it('filters by principal, action, time range and outcome on the server', async () => {
    const since = Date.now();
    const name = `filtered-${since}`;
    await live.client.createRegisteredModel(name);
    await live.client.updateRegisteredModel(name, 'kept');
    await expect(live.client.updateRegisteredModel(`${name}-missing`, 'lost')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const list = async (...args: string[]) => {
      const r = await runCliAgainst(live.url, ['audit', 'list', '--from', new Date(since).toISOString(), ...args, '--json']);
      expect(r.err).toBe('');
      return (JSON.parse(r.out) as { entries: Array<{ principal: string; action: string; status: number; entity_id: string | null }> }).entries;
    };
    const update = 'PATCH /api/2.0/mlflow/registered-models/update';
    expect((await list('--action', update)).map((e) => e.status)).toEqual([404, 200]);
    expect(await list('--action', update, '--status', 'failed')).toEqual([expect.objectContaining({ status: 404, action: update })]);
    expect((await list('--status', 'succeeded', '--principal', 'anonymous')).map((e) => e.action)).toEqual([update, 'POST /api/2.0/mlflow/registered-models/create']);
    expect(await list('--principal', 'nobody')).toEqual([]);
    const before = await runCliAgainst(live.url, ['audit', 'list', '--entity-id', name, '--to', String(since), '--json']);
    expect(JSON.parse(before.out)).toEqual({ entries: [] });

    // The SDK takes a Date too.
    const sdk = await live.client.audit.list({ from: new Date(since), to: new Date(Date.now() + 1000), status: 'failed', action: update });
    expect(sdk.items.map((e) => [e.status, e.entityId])).toEqual([[404, `${name}-missing`]]);
    await expect(live.client.audit.list({ from: 'soon' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

    const table = await runCliAgainst(live.url, ['audit', 'list', '--from', String(since), '--status', 'failed']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/anonymous\s+PATCH \/api\/2\.0\/mlflow\/registered-models\/update\s+.*404/);
  });

  it('names the option of a bad time or outcome', async () => {
    const from = await runCliAgainst(live.url, ['audit', 'list', '--from', 'last week']);
    expect(from.code).toBe(1);
    expect(from.err).toMatch(/^INVALID_PARAMETER_VALUE: --from must be epoch milliseconds or an ISO-8601 date-time/);
    const order = await runCliAgainst(live.url, ['audit', 'list', '--from', '2026-11-02', '--to', '2026-11-01']);
    expect(order.code).toBe(1);
    expect(order.err).toContain('--to must be after --from');
    const status = await runCliAgainst(live.url, ['audit', 'list', '--status', 'ok']);
    expect(status.code).not.toBe(0);
    expect(status.err).toContain("'ok' is invalid");
  });

  it('refuses a max-results that is not a number, naming the option', async () => {
    const r = await runCliAgainst(live.url, ['audit', 'list', '--max-results', 'lots']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("INVALID_PARAMETER_VALUE: --max-results must be a whole number, got 'lots'.\n");
  });
});
