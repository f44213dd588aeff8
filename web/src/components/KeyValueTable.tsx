import type { ReactNode } from 'react';

/** A two-column table of keys and values, sorted by key; a note when there are none. */
export function KeyValueTable({ rows, empty, label }: { rows: ReadonlyArray<{ key: string; value: ReactNode }>; empty: string; label: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return (
    <table className="kv" aria-label={label}>
      <tbody>
        {sorted.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.key}</th>
            <td>{r.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
