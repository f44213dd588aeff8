import type { ReactNode } from 'react';

/** A column heading: its text, or `{ num: text }` for a right-aligned column of numbers. */
export type Column = string | { num: string };

/**
 * A grid table named `label` (for screen readers and tests) with a header row of `columns`;
 * `children` are its body rows. `scroll` wraps it so that a wide table scrolls sideways;
 * `narrow` keeps a small table from stretching across the page.
 */
export function DataTable({ label, columns, scroll = false, narrow = false, children }: { label: string; columns: Column[]; scroll?: boolean; narrow?: boolean; children: ReactNode }) {
  const table = (
    <table className={narrow ? 'grid narrow' : 'grid'} aria-label={label}>
      <thead>
        <tr>
          {columns.map((c, i) => (typeof c === 'string' ? <th key={i}>{c}</th> : <th key={i} className="num">{c.num}</th>))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  return scroll ? <div className="table-scroll">{table}</div> : table;
}
