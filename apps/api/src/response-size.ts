/** Elements of a list of numbers or strings serialised in one native call. */
const SLICE = 10_000;
/** Lists longer than this serialise each element natively; shorter ones are walked into (an element may be big). */
const LONG_LIST = 64;
/** Characters serialised between two turns of the event loop: a big response must not stall other requests. */
const YIELD_EVERY = 1_000_000;

class TooLarge extends Error {}

/**
 * JSON.stringify that gives up (returns null) as soon as the text would pass `maxLength` characters, instead of
 * building it whole first: a response of hundreds of megabytes would otherwise take the memory (or fail with
 * V8's "Invalid string length") before anyone could measure it. Lists of scalars (metric steps and values) go
 * through the native serialiser in slices and the elements of long lists one by one, so the bound costs little;
 * every megabyte or so it lets the event loop serve other requests.
 */
export async function stringifyWithin(value: unknown, maxLength: number): Promise<string | null> {
  const parts: string[] = [];
  let length = 0;
  let sinceYield = 0;
  const push = async (text: string) => {
    length += text.length;
    if (length > maxLength) throw new TooLarge();
    parts.push(text);
    sinceYield += text.length;
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const write = async (item: unknown): Promise<void> => {
    if (item === null || typeof item !== 'object' || typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      await push(JSON.stringify(item) ?? 'null');
    } else if (Array.isArray(item)) {
      await push('[');
      if (item.every((element) => element === null || typeof element !== 'object')) {
        for (let i = 0; i < item.length; i += SLICE) {
          const text = JSON.stringify(item.slice(i, i + SLICE));
          await push((i > 0 ? ',' : '') + text.slice(1, -1));
        }
      } else if (item.length > LONG_LIST) {
        // Rows of a page, series of a compare: each is bounded by the query limits, so each goes natively.
        for (let i = 0; i < item.length; i++) await push((i > 0 ? ',' : '') + (JSON.stringify(item[i]) ?? 'null'));
      } else {
        for (let i = 0; i < item.length; i++) {
          if (i > 0) await push(',');
          const element: unknown = item[i];
          await write(element === undefined || typeof element === 'function' ? null : element);
        }
      }
      await push(']');
    } else {
      await push('{');
      let first = true;
      for (const [key, field] of Object.entries(item)) {
        if (field === undefined || typeof field === 'function') continue;
        await push((first ? '' : ',') + JSON.stringify(key) + ':');
        first = false;
        await write(field);
      }
      await push('}');
    }
  };
  try {
    await write(value);
  } catch (error) {
    if (error instanceof TooLarge || error instanceof RangeError) return null;
    throw error;
  }
  return parts.join('');
}
