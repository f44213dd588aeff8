/**
 * Replays every contract fixture against a live Hangar server on the embedded default: one
 * fresh server (temp SQLite store, temp artifact directory) per fixture. The PostgreSQL pass is
 * contract.postgres.test.ts; static checks of the fixtures are in fixtures.test.ts.
 */
import { replayContract } from './replay.js';

replayContract({ title: 'on SQLite', skipReason: null, serverOptions: async () => ({}) });
