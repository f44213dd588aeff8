import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Governance } from '../governance/index.js';
import { storeSuite } from '../../test/support/engines.js';
import { copyStore } from './copy.js';
import { GovernanceStore } from './governance-store.js';
import { openStore } from './open.js';
import type { AuditQuery } from './types.js';

const actor = { name: 'alice', isAdmin: true, authenticated: true };

describe('hangar db copy carries the governance tables', () => {
  const { engines, tempDir, open } = storeSuite('hangar-gov-copy-');

  for (const targetEngine of engines) {
    it.skipIf(targetEngine.skip)(`from SQLite ${targetEngine.title}: tokens, grants, requests, activities, webhooks, deliveries; new ids continue after the copied ones`, async () => {
      const dir = tempDir();
      const source = await open(`sqlite:///${join(dir, 'source.db')}`);
      await source.createRegisteredModel({ name: 'm', tags: [], description: '', userId: 'alice' });
      await source.createModelVersion({ name: 'm', source: 's3://b/m', storageLocation: 's3://b/m', runId: '', runLink: '', description: '', tags: [], userId: 'alice', modelId: null });
      const gov = new Governance(GovernanceStore.for(source));
      const { token } = await gov.createToken({ principal: 'bob' });
      await gov.setPermission(actor, 'm', 'bob', 'CAN_EDIT');
      await gov.createRequest({ name: 'bob', isAdmin: false, authenticated: true }, { name: 'm', version: 1, stage: 'Production', comment: 'go' });
      await gov.approveRequest(actor, { name: 'm', version: 1, stage: 'Production', archiveExisting: true, comment: 'ok' });
      const hook = await gov.store.createWebhook({ name: 'h', url: 'https://example.com/h', events: ['comment.created'], description: null, secret: 's', status: 'ACTIVE', modelName: null });
      await gov.store.createDeliveries([{ id: 'd-1', webhookId: hook.id, event: 'comment.created', payload: '{}' }]);
      const scoped = await gov.store.createWebhook({ name: 'm-only', url: 'https://example.com/m', events: ['comment.created'], description: null, secret: null, status: 'ACTIVE', modelName: 'm' });
      gov.close();

      const target = await open(targetEngine.title === 'on SQLite' ? `sqlite:///${join(dir, 'target.db')}` : await targetEngine.open(dir));
      const report = await copyStore(source, target);
      expect(report).toMatchObject({ api_tokens: 1, model_permissions: 1, transition_requests: 1, activities: 3, webhooks: 2, webhook_scopes: 1, webhook_deliveries: 1 });

      const copied = new Governance(GovernanceStore.for(target), { auth: true });
      expect((await copied.authenticate(`Bearer ${token}`)).name).toBe('bob');
      expect(await copied.levelOn({ name: 'bob', isAdmin: false, authenticated: true }, 'm')).toBe('CAN_EDIT');
      expect((await copied.store.listActivities('m', 1)).map((a) => a.activityType)).toEqual(['REQUESTED_TRANSITION', 'APPROVED_REQUEST', 'ALIAS_SET']);
      expect((await copied.store.listDeliveries({ maxResults: 10 })).map((d) => d.id)).toEqual(['d-1']);
      expect(await copied.store.getWebhook(scoped.id)).toMatchObject({ scope: 'model', modelName: 'm' });
      const comment = await copied.createComment(actor, { name: 'm', version: 1, comment: 'after the copy' });
      expect(comment.id).toBeGreaterThan(3);
      copied.close();
    });
  }
});

describe('webhook scopes', () => {
  const { engines, tempDir } = storeSuite('hangar-gov-scope-');

  for (const engine of engines) {
    it.skipIf(engine.skip)(`${engine.title}: a model webhook follows its model's rename and is orphaned, not widened, when the model is deleted`, async () => {
      const store = await openStore(await engine.open(tempDir()), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      try {
        const gov = GovernanceStore.for(store);
        const name = `scoped-${Date.now()}`;
        await store.createRegisteredModel({ name, tags: [], description: '', userId: 'alice' });
        const base = { url: 'https://example.com/h', events: ['model_version.created'], description: null, secret: null, status: 'ACTIVE' as const };
        const wide = await gov.createWebhook({ ...base, name: 'wide', modelName: null });
        const hook = await gov.createWebhook({ ...base, name: 'one', modelName: name });
        expect(wide).toMatchObject({ scope: 'registry', modelName: null });
        expect(hook).toMatchObject({ scope: 'model', modelName: name });
        await expect(gov.createWebhook({ ...base, name: 'none', modelName: `${name}-missing` })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
        expect((await gov.listWebhooks({ modelName: name })).map((w) => w.id)).toEqual([hook.id]);

        await store.renameRegisteredModel(name, `${name}-renamed`);
        expect(await gov.getWebhook(hook.id)).toMatchObject({ scope: 'model', modelName: `${name}-renamed` });
        expect(await gov.updateWebhook(hook.id, { name: 'one-renamed' })).toMatchObject({ name: 'one-renamed', scope: 'model', modelName: `${name}-renamed` });

        await store.deleteRegisteredModel(`${name}-renamed`);
        expect(await gov.getWebhook(hook.id)).toMatchObject({ scope: 'orphaned', modelName: null });
        expect((await gov.listWebhooks()).find((w) => w.id === wide.id)?.scope).toBe('registry');
        await gov.deleteWebhook(hook.id);
        await expect(gov.getWebhook(hook.id)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      } finally {
        await store.close();
      }
    });
  }
});

describe('audit trail filters', () => {
  const { engines, tempDir, open } = storeSuite('hangar-gov-audit-');

  for (const engine of engines) {
    it.skipIf(engine.skip)(`${engine.title}: principal, action, time range and outcome combine with AND, newest first, and page with tokens`, async () => {
      const store = await open(await engine.open(tempDir()));
      const t0 = Date.UTC(2026, 10, 1);
      const approve = 'POST /api/2.0/mlflow/transition-requests/approve';
      const update = 'PATCH /api/2.0/mlflow/registered-models/update';
      // 24 rows, one an hour from t0: alice and bob take turns, every third row approves, every fourth failed.
      for (let i = 0; i < 24; i++) {
        await store.appendAudit({
          timestamp: t0 + i * 3_600_000,
          principal: i % 2 === 0 ? 'alice' : 'bob',
          action: i % 3 === 0 ? approve : update,
          entityType: 'registered_model',
          entityId: `m${i % 2}`,
          status: i % 4 === 3 ? 403 : 200,
          before: null,
          after: JSON.stringify({ i }),
          requestId: `req-${i}`,
        });
      }
      const all = async (query: Omit<AuditQuery, 'maxResults' | 'pageToken'>, maxResults = 1000) => {
        const ids: number[] = [];
        let pageToken: string | undefined;
        do {
          const page = await store.listAudit({ ...query, maxResults, ...(pageToken === undefined ? {} : { pageToken }) });
          expect(page.items.length).toBeLessThanOrEqual(maxResults);
          ids.push(...page.items.map((e) => (JSON.parse(e.after!) as { i: number }).i));
          pageToken = page.nextPageToken;
        } while (pageToken !== undefined);
        return ids;
      };
      const expected = (keep: (i: number) => boolean) => Array.from({ length: 24 }, (_, k) => 23 - k).filter(keep);

      expect(await all({})).toEqual(expected(() => true));
      expect(await all({ principal: 'alice' })).toEqual(expected((i) => i % 2 === 0));
      expect(await all({ principal: 'ali' })).toEqual([]);
      expect(await all({ actions: [approve] })).toEqual(expected((i) => i % 3 === 0));
      expect(await all({ actions: [approve, update] })).toEqual(expected(() => true));
      expect(await all({ actions: [] })).toEqual([]);
      expect(await all({ outcome: 'failed' })).toEqual(expected((i) => i % 4 === 3));
      expect(await all({ outcome: 'succeeded' })).toEqual(expected((i) => i % 4 !== 3));
      // From is inclusive, to exclusive.
      expect(await all({ fromTimestamp: t0 + 5 * 3_600_000, toTimestamp: t0 + 9 * 3_600_000 })).toEqual([8, 7, 6, 5]);
      expect(await all({ fromTimestamp: t0 + 20 * 3_600_000 })).toEqual([23, 22, 21, 20]);
      expect(await all({ toTimestamp: t0 + 2 * 3_600_000 })).toEqual([1, 0]);
      // Everything at once, paged two rows at a time.
      const combined = { principal: 'bob', actions: [update], outcome: 'succeeded' as const, fromTimestamp: t0 + 3_600_000, toTimestamp: t0 + 22 * 3_600_000, entityId: 'm1' };
      const want = expected((i) => i % 2 === 1 && i % 3 !== 0 && i % 4 !== 3 && i >= 1 && i < 22);
      expect(want).toEqual([17, 13, 5, 1]);
      expect(await all(combined, 2)).toEqual(want);
      expect(await all({ principal: 'alice', outcome: 'failed' })).toEqual([]);
      const first = await store.listAudit({ principal: 'bob', outcome: 'failed', maxResults: 3 });
      expect(first.items.map((e) => e.status)).toEqual([403, 403, 403]);
      expect(first.items.map((e) => e.requestId)).toEqual(['req-23', 'req-19', 'req-15']);
      const rest = await store.listAudit({ principal: 'bob', outcome: 'failed', maxResults: 3, pageToken: first.nextPageToken! });
      expect(rest.items.map((e) => e.requestId)).toEqual(['req-11', 'req-7', 'req-3']);
      expect(rest.nextPageToken).toBeUndefined();
    });
  }
});
