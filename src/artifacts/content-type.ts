/**
 * Content types for artifact downloads, guessed from the file name. Text formats are served as
 * `text/plain` whatever their richer type (MLflow does the same), so a browser that opens a
 * downloaded `.html`, `.js` or `.svg` artifact never runs it on the server's origin; types
 * that cannot carry script keep their own type so the UI can show them.
 */

const TEXT_EXTENSIONS = new Set([
  'txt', 'log', 'err', 'out', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml',
  'yaml', 'yml', 'xml', 'json', 'jsonl', 'ndjson', 'js', 'ts', 'py', 'py3', 'r', 'sql', 'sh', 'csv', 'tsv',
  'md', 'rst', 'html', 'htm', 'svg',
]);

/** File names without an extension that MLflow writes as text. */
const TEXT_NAMES = new Set(['mlmodel', 'mlproject', 'requirements', 'license', 'readme', 'dockerfile']);

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  parquet: 'application/vnd.apache.parquet',
  onnx: 'application/octet-stream',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
};

/** The content type to send a file as, from its name (the last path segment or a whole path). */
export function guessContentType(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return TEXT_NAMES.has(base) ? 'text/plain' : 'application/octet-stream';
  const ext = base.slice(dot + 1);
  if (TEXT_EXTENSIONS.has(ext)) return 'text/plain';
  return BY_EXTENSION[ext] ?? 'application/octet-stream';
}
