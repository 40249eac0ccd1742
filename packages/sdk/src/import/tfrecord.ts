// TFRecord framing, as TensorFlow writes event files: per record a little-endian uint64 length, the masked CRC32C
// of those 8 bytes, the data, and the masked CRC32C of the data. Both checksums are checked: a torn or corrupted
// file (a run killed mid-write) is reported at its byte offset instead of importing garbage.

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // Castagnoli polynomial, reflected.
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TensorFlow stores CRCs masked, so that a CRC of data that itself holds CRCs is not degenerate. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export class TFRecordError extends Error {}

/**
 * The records of a TFRecord file, in order. A file that ends inside a record's header or data — a writer still
 * running, or killed — ends the records there (`truncated` says so); a checksum that does not match throws.
 */
export function readTFRecords(file: Uint8Array): { records: Uint8Array[]; truncated: boolean } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < file.length) {
    if (offset + 12 > file.length) return { records, truncated: true };
    const header = file.subarray(offset, offset + 8);
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(header)) throw new TFRecordError(`the length of the record at byte ${offset} fails its CRC32C check`);
    const length = Number(view.getBigUint64(offset, true));
    const start = offset + 12;
    if (start + length + 4 > file.length) return { records, truncated: true };
    const data = file.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== maskedCrc32c(data)) throw new TFRecordError(`the data of the record at byte ${offset} fails its CRC32C check`);
    records.push(data);
    offset = start + length + 4;
  }
  return { records, truncated: false };
}

/** One record framed for a TFRecord file (what TensorFlow's writer produces). */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
