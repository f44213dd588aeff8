/**
 * Replays every contract fixture against a live Hangar server whose metadata store is
 * PostgreSQL. The run gets a database of its own, and each fixture a fresh schema in it (as
 * the store behaviour suite isolates its stores), so fixtures see an empty store and nothing
 * is left behind. One pass: each fixture runs once, on one server. Skipped, with the reason, when `npm test` found no server.
 */
import { randomBytes } from 'node:crypto';
import { admin } from '../support/engines.js';
import { pgSkipReason, pgUrl } from '../support/services.js';
import { replayContract } from './replay.js';

const database = `hangar_contract_${randomBytes(6).toString('hex')}`;
let databaseUrl = '';
let created = false;

replayContract({
  title: 'on PostgreSQL',
  skipReason: pgUrl === null ? pgSkipReason || 'no server' : null,
  async setUp() {
    // Text ordering under a language collation (ICU's en-US, what most servers use) differs from
    // SQLite's byte order; this machine's default is C.UTF-8, which would hide that. A server
    // built without ICU gets its default collation.
    try {
      await admin(pgUrl!, `create database ${database} template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
    } catch {
      await admin(pgUrl!, `create database ${database}`);
    }
    created = true;
    const url = new URL(pgUrl!);
    url.pathname = `/${database}`;
    databaseUrl = url.href;
  },
  async tearDown() {
    if (created) await admin(pgUrl!, `drop database if exists ${database} with (force)`);
  },
  async serverOptions() {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    await admin(databaseUrl, `create schema ${schema}`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return { backendStoreUri: url.href };
  },
});
