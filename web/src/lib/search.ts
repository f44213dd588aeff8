/** Pieces of MLflow's search syntax (docs/mlflow-wire.md 4.4) the pages build. */

/** A key for `metrics.<key>` / `params.<key>`, backtick-quoted unless it is a plain word. */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `\`${key.replace(/`/g, '')}\``;
}

/** A string literal in single quotes (double quotes when the value holds a single quote). */
export function quoteValue(value: string): string {
  return value.includes("'") ? `"${value.replace(/"/g, '')}"` : `'${value}'`;
}

/** `name ILIKE '%text%'`, or undefined for empty text. */
export function nameContains(text: string): string | undefined {
  const t = text.trim();
  return t === '' ? undefined : `name ILIKE ${quoteValue(`%${t}%`)}`;
}
