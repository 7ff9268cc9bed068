/** Reading Google's HTTP answers, as gaxios hands them over. */

/** A response header from gaxios (a Headers object) or a plain record. */
export function header(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : null;
}
