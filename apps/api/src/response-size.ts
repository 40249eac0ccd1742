/** Elements of a list of numbers or strings serialised in one native call. */
const SLICE = 10_000;

class TooLarge extends Error {}

/**
 * JSON.stringify that gives up (returns null) as soon as the text would pass `maxLength` characters, instead of
 * building it whole first: a response of hundreds of megabytes would otherwise take the memory (or fail with
 * V8's "Invalid string length") before anyone could measure it. Lists of scalars (metric steps and values) go
 * through the native serialiser in slices, so the bound costs little.
 */
export function stringifyWithin(value: unknown, maxLength: number): string | null {
  const parts: string[] = [];
  let length = 0;
  const push = (text: string) => {
    length += text.length;
    if (length > maxLength) throw new TooLarge();
    parts.push(text);
  };
  const write = (item: unknown): void => {
    if (item === null || typeof item !== 'object' || typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      push(JSON.stringify(item) ?? 'null');
    } else if (Array.isArray(item)) {
      push('[');
      if (item.every((element) => element === null || typeof element !== 'object')) {
        for (let i = 0; i < item.length; i += SLICE) {
          const text = JSON.stringify(item.slice(i, i + SLICE));
          push((i > 0 ? ',' : '') + text.slice(1, -1));
        }
      } else {
        item.forEach((element, i) => {
          if (i > 0) push(',');
          write(element === undefined || typeof element === 'function' ? null : element);
        });
      }
      push(']');
    } else {
      push('{');
      let first = true;
      for (const [key, field] of Object.entries(item)) {
        if (field === undefined || typeof field === 'function') continue;
        push((first ? '' : ',') + JSON.stringify(key) + ':');
        first = false;
        write(field);
      }
      push('}');
    }
  };
  try {
    write(value);
  } catch (error) {
    if (error instanceof TooLarge || error instanceof RangeError) return null;
    throw error;
  }
  return parts.join('');
}
