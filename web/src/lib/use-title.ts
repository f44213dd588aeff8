import { useEffect } from 'react';

/** Set the browser tab's title to `<title> · Hangar` while the page shows. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title === undefined || title === '' ? 'Hangar' : `${title} · Hangar`;
  }, [title]);
}
