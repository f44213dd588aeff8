import { useEffect, useState } from 'react';

/** A search field that submits on Enter or the button; `value` is the search in effect. */
export function SearchBox({ value, placeholder, label, onSearch }: { value: string; placeholder: string; label: string; onSearch(text: string): void }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <form
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(draft.trim());
      }}
    >
      <input type="search" aria-label={label} placeholder={placeholder} value={draft} onChange={(e) => setDraft(e.target.value)} spellCheck={false} />
      <button type="submit">Search</button>
      {value !== '' && (
        <button type="button" className="link" onClick={() => onSearch('')}>
          Clear
        </button>
      )}
    </form>
  );
}
