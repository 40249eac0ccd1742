/**
 * PostgreSQL's binary array format (what `array_recv` reads) for one-dimensional int4[] and float8[] without
 * NULLs. node-postgres sends a Buffer parameter in binary format, so a million points cross the wire as
 * 12 MB of fixed-width bytes that the server copies, instead of a 20 MB decimal string it must parse
 * number by number (float8in is most of the cost of a text array parameter).
 */

const INT4_OID = 23;
const FLOAT8_OID = 701;
const HEADER_BYTES = 20;

function encodeArray(values: ArrayLike<number>, elementOid: number, width: 4 | 8): Buffer {
  const n = values.length;
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + n * (4 + width));
  buffer.writeInt32BE(1, 0); // dimensions
  buffer.writeInt32BE(0, 4); // has-nulls flag
  buffer.writeInt32BE(elementOid, 8);
  buffer.writeInt32BE(n, 12); // length of the dimension
  buffer.writeInt32BE(1, 16); // lower bound (PostgreSQL arrays count from 1)
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let offset = HEADER_BYTES;
  if (width === 4) {
    for (let i = 0; i < n; i++, offset += 8) {
      view.setInt32(offset, 4);
      view.setInt32(offset + 4, values[i]!);
    }
  } else {
    for (let i = 0; i < n; i++, offset += 12) {
      view.setInt32(offset, 8);
      view.setFloat64(offset + 4, values[i]!); // NaN and ±Infinity are plain IEEE 754 bit patterns
    }
  }
  return buffer;
}

export const encodeInt4Array = (values: ArrayLike<number>): Buffer => encodeArray(values, INT4_OID, 4);
export const encodeFloat8Array = (values: ArrayLike<number>): Buffer => encodeArray(values, FLOAT8_OID, 8);

/**
 * Decodes one or more one-dimensional int4[] / float8[] arrays in binary format (what `array_send`
 * returns as bytea), concatenated (as `string_agg(array_send(…), '')` returns them), into one list.
 * Elements must not be NULL.
 */
export function decodeArrays(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: number[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const dimensions = view.getInt32(offset);
    const elementOid = view.getInt32(offset + 8);
    if (dimensions === 0) {
      offset += 12; // an empty array: dimensions, flags, element type
      continue;
    }
    const n = view.getInt32(offset + 12);
    offset += HEADER_BYTES;
    if (elementOid === INT4_OID) for (let i = 0; i < n; i++, offset += 8) result.push(view.getInt32(offset + 4));
    else if (elementOid === FLOAT8_OID) for (let i = 0; i < n; i++, offset += 12) result.push(view.getFloat64(offset + 4));
    else throw new Error(`decodeArrays: unsupported element type ${elementOid}`);
  }
  return result;
}

/**
 * decodeArrays into one typed array (int4 elements into an Int32Array, float8 into a Float64Array): no list
 * grown element by element and no boxed doubles, for reads that only compute over the numbers.
 */
export function decodeArraysTyped(bytes: Uint8Array, elements: 'int4'): Int32Array;
export function decodeArraysTyped(bytes: Uint8Array, elements: 'float8'): Float64Array;
export function decodeArraysTyped(bytes: Uint8Array, elements: 'int4' | 'float8'): Int32Array | Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const oid = elements === 'int4' ? INT4_OID : FLOAT8_OID;
  const stride = elements === 'int4' ? 8 : 12;
  // Two walks over the headers: the first counts, so the result is allocated once.
  let total = 0;
  for (let offset = 0; offset < bytes.byteLength;) {
    if (view.getInt32(offset) === 0) {
      offset += 12;
      continue;
    }
    if (view.getInt32(offset + 8) !== oid) throw new Error(`decodeArraysTyped: element type ${view.getInt32(offset + 8)}, expected ${elements}`);
    const n = view.getInt32(offset + 12);
    total += n;
    offset += HEADER_BYTES + n * stride;
  }
  const result = elements === 'int4' ? new Int32Array(total) : new Float64Array(total);
  let at = 0;
  for (let offset = 0; offset < bytes.byteLength;) {
    if (view.getInt32(offset) === 0) {
      offset += 12;
      continue;
    }
    const n = view.getInt32(offset + 12);
    offset += HEADER_BYTES;
    if (elements === 'int4') for (let i = 0; i < n; i++, offset += 8) result[at++] = view.getInt32(offset + 4);
    else for (let i = 0; i < n; i++, offset += 12) result[at++] = view.getFloat64(offset + 4);
  }
  return result;
}
