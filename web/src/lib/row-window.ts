/**
 * Windowing for a long table in the page's own scroll: only the rows in view (and a margin
 * above and below) are in the DOM; two spacer heights stand in for the rest, so the scroll bar,
 * the page height and the sticky header and column stay as they were. The rows must be of one
 * height (single-line cells); the first row drawn gives it.
 */
import { useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** Tables of up to this many rows are drawn whole. */
export const WINDOW_FROM = 200;
/** Rows drawn above and below the ones in view, so a quick scroll or Tab lands on drawn rows. */
const MARGIN = 30;
/** Rows drawn before the first height is known. */
const FIRST_DRAW = 60;

export interface RowWindow {
  /** Put on the `<tbody>`. */
  bodyRef: RefObject<HTMLTableSectionElement | null>;
  /** The rows to draw: `first` up to (not including) `last`. */
  first: number;
  last: number;
  /** Height of the rows left out above and below, px. */
  above: number;
  below: number;
}

export function useRowWindow(count: number): RowWindow {
  const bodyRef = useRef<HTMLTableSectionElement | null>(null);
  const on = count > WINDOW_FROM;
  // Until a row was measured (height 0), the first FIRST_DRAW rows are drawn.
  const [state, setState] = useState({ first: 0, last: 0, height: 0 });
  useLayoutEffect(() => {
    if (!on) return;
    let height = 0;
    const update = () => {
      const body = bodyRef.current;
      if (body === null) return;
      if (height === 0) {
        const row = body.querySelector<HTMLElement>('tr[aria-rowindex]');
        height = row?.getBoundingClientRect().height ?? 0;
        if (height === 0) return;
      }
      // The body's top includes the upper spacer, so this is the row index at the top of the view.
      const top = body.getBoundingClientRect().top;
      const first = Math.max(0, Math.min(count, Math.floor(-top / height) - MARGIN));
      const last = Math.max(first, Math.min(count, Math.ceil((window.innerHeight - top) / height) + MARGIN));
      setState((s) => (s.first === first && s.last === last && s.height === height ? s : { first, last, height }));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [on, count]);
  if (!on) return { bodyRef, first: 0, last: count, above: 0, below: 0 };
  if (state.height === 0) return { bodyRef, first: 0, last: Math.min(count, FIRST_DRAW), above: 0, below: 0 };
  const last = Math.min(state.last, count);
  const first = Math.min(state.first, last);
  return { bodyRef, first, last, above: first * state.height, below: (count - last) * state.height };
}
