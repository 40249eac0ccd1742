// Small readers for URL search parameters, so every page's state is shareable with its address.
export type SearchParams = Record<string, string | string[] | undefined>;

export function firstParam(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

export function listParam(params: SearchParams, name: string): string[] {
  const value = firstParam(params, name);
  return value ? value.split(',').filter((item) => item !== '') : [];
}

/** A URL query string without the empty parameters, so addresses stay short. */
export function toQueryString(values: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `?${text}` : '';
}
