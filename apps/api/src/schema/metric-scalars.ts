import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { endianness } from 'node:os';

/**
 * Packed numeric arrays: the fast ingestion path. A million points as JSON numbers cost graphql-js a
 * coercion per element (about 1 µs each); as one base64 string per column they cost one decode. The bytes
 * are the machine's own typed-array layout, so decoding is a copy on every little-endian host (all the
 * platforms Node runs Tuneboard on); a big-endian host would need a byte swap, which we refuse to guess.
 */
if (endianness() !== 'LE') throw new Error('Packed metric arrays assume a little-endian host');

function packedScalar<T extends Int32Array | Float64Array>(
  name: string,
  description: string,
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
  width: number,
) {
  const decode = (value: unknown): T => {
    const invalid = () => new GraphQLError(`${name} must be a base64 string (standard alphabet, padded)`, { extensions: { code: 'BAD_USER_INPUT' } });
    if (typeof value !== 'string' || value.length % 4 !== 0) throw invalid();
    const bytes = Buffer.from(value, 'base64');
    // Node's decoder skips characters outside the alphabet, so a string with any comes out short: checking the
    // length catches them at no cost (a regular expression over the string was the largest CPU cost of ingestion).
    const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
    if (bytes.length !== (value.length / 4) * 3 - padding) throw invalid();
    if (bytes.length % width !== 0)
      throw new GraphQLError(`${name} decodes to ${bytes.length} bytes, not a multiple of ${width}`, { extensions: { code: 'BAD_USER_INPUT' } });
    // A typed array must start at a multiple of its element size. Large decodes get a buffer of their own
    // (offset 0) and are used in place; a small one from Node's shared pool may start anywhere and is copied.
    const buffer = bytes.buffer as ArrayBuffer;
    if (bytes.byteOffset % width === 0) return make(buffer, bytes.byteOffset, bytes.length / width);
    return make(buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), 0, bytes.length / width);
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => Buffer.from((value as T).buffer, (value as T).byteOffset, (value as T).byteLength).toString('base64'),
    parseValue: decode,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a base64 string`);
      return decode(ast.value);
    },
  });
}

export const PackedInt32Array = packedScalar(
  'PackedInt32Array',
  'Whole numbers packed as base64 (RFC 4648, standard alphabet, padded) of consecutive 32-bit signed little-endian integers, 4 bytes each.',
  (buffer, offset, length) => new Int32Array(buffer, offset, length),
  4,
);
export const PackedFloat64Array = packedScalar(
  'PackedFloat64Array',
  'Numbers packed as base64 (RFC 4648, standard alphabet, padded) of consecutive IEEE 754 64-bit little-endian floats, 8 bytes each. NaN and ±Infinity are ordinary values here.',
  (buffer, offset, length) => new Float64Array(buffer, offset, length),
  8,
);
