import { describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { guessContentType } from './content-type.js';
import { artifactUriToStorePath, isMlflowArtifactsUri, mlflowArtifactsUriToPath, pathToMlflowArtifactsUri } from './uri.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof HangarError ? e.code : 'not a HangarError';
  }
  return undefined;
}

describe('mlflow-artifacts URIs', () => {
  it.each([
    ['mlflow-artifacts:/1/abc/artifacts', '1/abc/artifacts'],
    ['mlflow-artifacts:/1/abc/artifacts/', '1/abc/artifacts'],
    ['mlflow-artifacts:///1/abc/artifacts', '1/abc/artifacts'],
    ['mlflow-artifacts://tracking.example:5000/1/models/m-1/artifacts', '1/models/m-1/artifacts'],
    ['mlflow-artifacts://host', ''],
    ['mlflow-artifacts:', ''],
    ['mlflow-artifacts:/', ''],
    ['mlflow-artifacts:/1', '1'],
    ['MLFLOW-ARTIFACTS:/1/x', '1/x'],
  ])('%s names store path %j', (uri, path) => {
    expect(isMlflowArtifactsUri(uri)).toBe(true);
    expect(mlflowArtifactsUriToPath(uri)).toBe(path);
  });

  it('refuses other schemes and escaping paths', () => {
    expect(codeOf(() => mlflowArtifactsUriToPath('s3://bucket/1'))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => mlflowArtifactsUriToPath('mlflow-artifacts:/1/../../etc'))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => mlflowArtifactsUriToPath('mlflow-artifacts:/1\\x'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('builds the URI of a store path', () => {
    expect(pathToMlflowArtifactsUri('1/abc/artifacts')).toBe('mlflow-artifacts:/1/abc/artifacts');
    expect(mlflowArtifactsUriToPath(pathToMlflowArtifactsUri('1/abc'))).toBe('1/abc');
    expect(codeOf(() => pathToMlflowArtifactsUri('../x'))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('artifactUriToStorePath', () => {
  it('maps mlflow-artifacts URIs whatever the store', () => {
    expect(artifactUriToStorePath('mlflow-artifacts:/3/r/artifacts', 's3://b/p')).toBe('3/r/artifacts');
  });

  it('maps URIs under the store root, and nothing else', () => {
    expect(artifactUriToStorePath('s3://b/p/3/r/artifacts', 's3://b/p')).toBe('3/r/artifacts');
    expect(artifactUriToStorePath('s3://b/p', 's3://b/p')).toBe('');
    expect(artifactUriToStorePath('s3://b/prefix2/3', 's3://b/p')).toBeNull();
    expect(artifactUriToStorePath('s3://other/p/3', 's3://b/p')).toBeNull();
    expect(artifactUriToStorePath('gs://b/p/3', 's3://b/p')).toBeNull();
  });

  it('maps file URIs and absolute paths under a local root, decoding the file URI', () => {
    expect(artifactUriToStorePath('file:///srv/art/1/my%20run/artifacts', 'file:///srv/art')).toBe('1/my run/artifacts');
    expect(artifactUriToStorePath('/srv/art/1/r/artifacts', 'file:///srv/art')).toBe('1/r/artifacts');
    expect(artifactUriToStorePath('/srv/other/1', 'file:///srv/art')).toBeNull();
    expect(codeOf(() => artifactUriToStorePath('file:///srv/art/1/%2e%2e/%2e%2e/etc', 'file:///srv/art'))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('guessContentType', () => {
  it.each([
    ['notes.txt', 'text/plain'],
    ['conda.yaml', 'text/plain'],
    ['python_env.yml', 'text/plain'],
    ['input_example.json', 'text/plain'],
    ['README.md', 'text/plain'],
    ['model/MLmodel', 'text/plain'],
    ['MLproject', 'text/plain'],
    ['requirements', 'text/plain'],
    ['requirements.txt', 'text/plain'],
    ['report.html', 'text/plain'],
    ['chart.svg', 'text/plain'],
    ['model.pkl', 'application/octet-stream'],
    ['weights', 'application/octet-stream'],
    ['.hidden', 'application/octet-stream'],
    ['plot.PNG', 'image/png'],
    ['photo.jpeg', 'image/jpeg'],
    ['paper.pdf', 'application/pdf'],
  ])('%s is served as %s', (name, type) => {
    expect(guessContentType(name)).toBe(type);
  });
});
