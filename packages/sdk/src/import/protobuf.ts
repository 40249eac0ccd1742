// The protobuf wire format, as much of it as event files need: no schema compiler, no dependency. A reader yields
// each field's number with its raw value; the messages that matter (tfevents.ts) pick the fields they know and skip
// the rest, as protobuf's own rules say a reader must.

export class ProtobufError extends Error {}

export type FieldValue = { wire: 0; varint: bigint } | { wire: 1; fixed64: DataView } | { wire: 2; bytes: Uint8Array } | { wire: 5; fixed32: DataView };

/** The fields of one message, in the order written (a repeated field appears once per element). */
export function* fields(message: Uint8Array): Generator<{ field: number } & FieldValue> {
  let offset = 0;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (offset >= message.length) throw new ProtobufError('a varint runs past the end of its message');
      const byte = message[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new ProtobufError('a varint is longer than 10 bytes');
  };
  while (offset < message.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtobufError('field number 0 is not valid');
    switch (wire) {
      case 0:
        yield { field, wire, varint: varint() };
        break;
      case 1:
        if (offset + 8 > message.length) throw new ProtobufError(`field ${field} runs past the end of its message`);
        yield { field, wire, fixed64: new DataView(view.buffer, view.byteOffset + offset, 8) };
        offset += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (offset + length > message.length) throw new ProtobufError(`field ${field} runs past the end of its message`);
        yield { field, wire, bytes: message.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        if (offset + 4 > message.length) throw new ProtobufError(`field ${field} runs past the end of its message`);
        yield { field, wire, fixed32: new DataView(view.buffer, view.byteOffset + offset, 4) };
        offset += 4;
        break;
      default:
        throw new ProtobufError(`field ${field} has wire type ${wire}, which this reader does not know (groups are not used here)`);
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });
export const utf8 = (bytes: Uint8Array) => decoder.decode(bytes);

/** A varint field as a JavaScript number (int64 beyond 2^53 loses precision; steps and counts never get there). */
export const int64 = (value: bigint) => Number(BigInt.asIntN(64, value));
export const float64 = (view: DataView) => view.getFloat64(0, true);
export const float32 = (view: DataView) => view.getFloat32(0, true);

/** Packed repeated numbers (proto3's default for repeated scalars), or one unpacked element. */
export function numbers(value: FieldValue, element: 'float' | 'double' | 'varint'): number[] {
  if (value.wire === 2) {
    const bytes = value.bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (element === 'float') return Array.from({ length: bytes.length >> 2 }, (_, i) => view.getFloat32(i * 4, true));
    if (element === 'double') return Array.from({ length: bytes.length >> 3 }, (_, i) => view.getFloat64(i * 8, true));
    return [...fields(varintsAsMessage(bytes))].map((f) => (f.wire === 0 ? int64(f.varint) : NaN));
  }
  if (value.wire === 5) return [float32(value.fixed32)];
  if (value.wire === 1) return [float64(value.fixed64)];
  return [int64(value.varint)];
}

/** Packed varints re-read as a message of field-1 varints (so one varint reader serves both). */
function varintsAsMessage(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i]! & 0x80) === 0) {
      out.push(0x08, ...bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return Uint8Array.from(out);
}

/** Writes messages field by field: what tests and the event-file writer need to produce real event files. */
export class ProtobufWriter {
  private readonly parts: Uint8Array[] = [];

  private varint(value: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.parts.push(Uint8Array.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, 1);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.parts.push(bytes);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.parts.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array | string): this {
    const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    this.key(field, 2);
    this.varint(BigInt(data.length));
    this.parts.push(data);
    return this;
  }

  message(field: number, build: (writer: ProtobufWriter) => unknown): this {
    const inner = new ProtobufWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
