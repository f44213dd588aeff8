import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir`, recursively, as paths relative to it; none when `dir` does not exist. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(dir, '');
  return out;
}

/** The Parquet files under `dir`, recursively, as absolute paths. */
export function parquetFiles(dir: string): string[] {
  return filesUnder(dir)
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => join(dir, f));
}
