import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { LocalArtifactStore } from './local-store.js';
import { openArtifactStore, s3OptionsFromEnv } from './open.js';
import { S3ArtifactStore, parseS3Uri } from './s3-store.js';

describe('openArtifactStore', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'hangar-open-artifacts-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('opens a local store from a file URI and creates the directory', async () => {
    const root = join(tempDir(), 'nested', 'artifacts');
    const store = await openArtifactStore(pathToFileURL(root).href);
    expect(store).toBeInstanceOf(LocalArtifactStore);
    expect(store.rootUri).toBe(pathToFileURL(root).href);
    expect(existsSync(root)).toBe(true);
    await store.close();
  });

  it('opens a local store from a plain path', async () => {
    const root = join(tempDir(), 'plain');
    const store = await openArtifactStore(root);
    expect(store).toBeInstanceOf(LocalArtifactStore);
    await store.put('a.txt', Buffer.from('a'));
    expect(existsSync(join(root, 'a.txt'))).toBe(true);
    await store.close();
  });

  it('opens an S3 store without contacting S3', async () => {
    const store = await openArtifactStore('s3://bucket/some/prefix/', { s3: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' } });
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.rootUri).toBe('s3://bucket/some/prefix');
    await store.close();
    const bare = await openArtifactStore('s3://bucket');
    expect(bare.rootUri).toBe('s3://bucket');
    await bare.close();
  });

  it('refuses an unknown scheme and lists the known ones', async () => {
    const err = await openArtifactStore('gs://bucket/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangarError);
    expect((err as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as HangarError).message).toContain('gs:');
    expect((err as HangarError).message).toContain('file://');
    expect((err as HangarError).message).toContain('s3://');
  });

  it('refuses malformed S3 and file URIs', async () => {
    for (const uri of ['s3://', 's3:///prefix', 's3://bucket/../x', 'file://remote-host/x', '']) {
      const err = await openArtifactStore(uri).catch((e: unknown) => e);
      expect(err, uri).toBeInstanceOf(HangarError);
      expect((err as HangarError).code, uri).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('parses bucket and prefix', () => {
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Uri('s3://b/')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Uri('s3://b/x/y/')).toEqual({ bucket: 'b', prefix: 'x/y' });
  });
});

describe('s3OptionsFromEnv', () => {
  it('reads credentials, region and the MLflow endpoint, switching to path style', () => {
    expect(
      s3OptionsFromEnv({
        AWS_ACCESS_KEY_ID: 'id',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
        AWS_DEFAULT_REGION: 'eu-central-1',
        MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000',
        AWS_ENDPOINT_URL: 'http://ignored:1',
      }),
    ).toEqual({
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'token' },
    });
  });

  it('prefers AWS_REGION, falls back to the AWS endpoint variables, and skips half credentials', () => {
    expect(s3OptionsFromEnv({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'x', AWS_ENDPOINT_URL_S3: 'http://s3:1', AWS_ACCESS_KEY_ID: 'only-id' })).toEqual({
      endpoint: 'http://s3:1',
      forcePathStyle: true,
      region: 'us-west-2',
    });
  });

  it('returns no options for an empty environment, ignoring empty values', () => {
    expect(s3OptionsFromEnv({})).toEqual({});
    expect(s3OptionsFromEnv({ MLFLOW_S3_ENDPOINT_URL: '', AWS_REGION: '' })).toEqual({});
  });
});
