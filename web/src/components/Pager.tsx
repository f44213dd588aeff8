/** Previous / Next over MLflow page tokens: the caller keeps the stack of tokens it has followed. */
export function Pager({ page, hasNext, onPrev, onNext, count }: { page: number; hasNext: boolean; onPrev(): void; onNext(): void; count: number }) {
  if (page === 0 && !hasNext) return null;
  return (
    <div className="pager">
      <button type="button" onClick={onPrev} disabled={page === 0}>
        ‹ Previous
      </button>
      <span className="muted">
        Page {page + 1} ({count} shown)
      </span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next ›
      </button>
    </div>
  );
}
