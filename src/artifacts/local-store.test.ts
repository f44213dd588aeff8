import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { LocalArtifactStore } from './local-store.js';
import { checkArtifactPath } from './paths.js';

/** What only the local-disk adapter can show: its files on disk. */
describe('local artifact store on disk', () => {
  let dir: string;
  let root: string;
  let store: LocalArtifactStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-local-store-'));
    root = join(dir, 'root');
    store = await LocalArtifactStore.open(root);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no temp file behind after writes, failed writes and completed uploads', async () => {
    await store.put('a/b.txt', Buffer.from('b'));
    async function* failing() {
      yield Buffer.from('some');
      throw new Error('boom');
    }
    await expect(store.put('a/c.txt', Readable.from(failing()))).rejects.toThrow('boom');
    const id = await store.multipart.create('a/d.bin');
    const etag = await store.multipart.uploadPart('a/d.bin', id, 1, Buffer.from('d'));
    await store.multipart.complete('a/d.bin', id, [{ partNumber: 1, etag }]);
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['b.txt', 'd.bin']);
    expect(readdirSync(join(root, '.hangar-uploads'))).toEqual([]);
  });

  it('hides staged uploads and stray temp files from listings', async () => {
    const id = await store.multipart.create('x.bin');
    await store.multipart.uploadPart('x.bin', id, 1, Buffer.from('x'));
    writeFileSync(join(root, '.hangar-tmp-leftover'), 'crash leftovers');
    await store.put('visible.txt', Buffer.from('v'));
    expect(await store.list('')).toEqual([{ path: 'visible.txt', isDir: false, fileSize: 1 }]);
  });

  it('refuses to write over a directory or beneath a file', async () => {
    await store.put('d/inner.txt', Buffer.from('i'));
    for (const path of ['d', 'd/inner.txt/x']) {
      const err = await store.put(path, Buffer.from('x')).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(HangarError);
      expect((err as HangarError).code, path).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await store.list('d')).toEqual([{ path: 'inner.txt', isDir: false, fileSize: 1 }]);
  });

  it('lists an empty directory made outside the store as []', async () => {
    mkdirSync(join(root, 'made-by-hand'));
    expect(await store.list('made-by-hand')).toEqual([]);
  });

  it('never deletes beyond the root when pruning empty parents', async () => {
    await store.put('only/one.txt', Buffer.from('1'));
    await store.delete('only/one.txt');
    expect(readdirSync(dir)).toEqual(['root']);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses upload ids it could not have made', async () => {
    for (const id of ['../../etc', 'ABCDEF', '0'.repeat(31)]) {
      const err = await store.multipart.uploadPart('x.bin', id, 1, Buffer.from('x')).catch((e: unknown) => e);
      expect((err as HangarError).code, id).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });
});

describe('checkArtifactPath', () => {
  it('accepts only paths that stay inside the root', () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'b c', '\\', '%2e', 'é', '\0', 'C:'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, leadingSlash) => {
        const path = (leadingSlash ? '/' : '') + segments.join('/');
        let accepted: string | undefined;
        try {
          accepted = checkArtifactPath(path, { allowRoot: true });
        } catch (e) {
          expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
          return;
        }
        const resolved = join('/root', accepted);
        expect(resolved === '/root' || resolved.startsWith('/root/')).toBe(true);
        expect(accepted.split('/').some((s) => s === '..' || s === '.' || (s === '' && accepted !== ''))).toBe(false);
        expect(accepted.includes('\\') || accepted.includes('\0')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
