/** A URI with any password replaced by `***`, safe to print and to put in error messages. */
export function redact(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return uri;
  }
}
