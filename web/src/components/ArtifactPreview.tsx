import { useEffect, useState } from 'react';
import { fetchBytes } from '../lib/api.ts';
import { formatBytes } from '../lib/format.ts';
import { useLoad } from '../lib/use-load.ts';
import { ErrorBox } from './ErrorBox.tsx';

const TEXT = /\.(txt|json|jsonl|ya?ml|md|csv|tsv|log|py|ts|js|toml|ini|cfg|html|xml|sql|sh)$/i;
const IMAGES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp' };
/** Larger files are offered for download only. */
const PREVIEW_MAX_BYTES = 2 * 1024 * 1024;

function imageType(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : IMAGES[name.slice(dot).toLowerCase()];
}

/** Whether a file can be shown in the page: text (or no extension, like `MLmodel`) and images, up to 2 MB. */
export function previewable(name: string, size: number | undefined): boolean {
  if (size !== undefined && size > PREVIEW_MAX_BYTES) return false;
  return TEXT.test(name) || !name.includes('.') || imageType(name) !== undefined;
}

function ImageView({ bytes, type, name }: { bytes: ArrayBuffer; type: string; name: string }) {
  // A blob URL: the bytes were fetched with the API token, and an <img> shows SVG without running scripts in it.
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([bytes], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [bytes, type]);
  return url === undefined ? null : <img className="artifact-image" src={url} alt={name} />;
}

/** A text or image artifact shown below the artifact list. */
export function ArtifactPreview({ name, href, size, onClose }: { name: string; href: string; size: number | undefined; onClose(): void }) {
  const { data, error, loading } = useLoad(() => fetchBytes(href), [href]);
  const type = imageType(name);
  return (
    <div className="preview" aria-label={`Preview of ${name}`} role="region">
      <div className="preview-head">
        <strong>{name}</strong>
        <span className="muted">{formatBytes(size)}</span>
        <a href={href} target="_blank" rel="noreferrer">
          Download
        </a>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBox error={error} />
      {loading && <p className="muted loading">Loading…</p>}
      {data !== undefined && (type === undefined ? <pre className="artifact-text">{new TextDecoder().decode(data)}</pre> : <ImageView bytes={data} type={type} name={name} />)}
    </div>
  );
}
