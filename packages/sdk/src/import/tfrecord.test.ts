import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c, readTFRecords, tfRecord, TFRecordError } from './tfrecord';

const bytes = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('CRC32C', () => {
  it('matches the published check values (RFC 3720 B.4, and TensorFlow crc32c_test)', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as TensorFlow does: rotate right by 15, add 0xa282ead8', () => {
    const crc = crc32c(bytes('hello'));
    expect(maskedCrc32c(bytes('hello'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});

describe('TFRecord framing', () => {
  it('reads back what it frames, record by record, with both checksums in place', () => {
    const file = concat(tfRecord(bytes('first')), tfRecord(new Uint8Array(0)), tfRecord(bytes('third record')));
    const view = new DataView(file.buffer);
    expect(Number(view.getBigUint64(0, true))).toBe(5);
    expect(view.getUint32(8, true)).toBe(maskedCrc32c(file.subarray(0, 8)));
    expect(view.getUint32(17, true)).toBe(maskedCrc32c(bytes('first')));
    const { records, truncated } = readTFRecords(file);
    expect(records.map((r) => new TextDecoder().decode(r))).toEqual(['first', '', 'third record']);
    expect(truncated).toBe(false);
  });

  it('refuses a corrupted length or data, naming the byte offset of the record', () => {
    const good = concat(tfRecord(bytes('first')), tfRecord(bytes('second')));
    const badData = good.slice();
    badData[21 + 12 + 2]! ^= 0x01; // a bit of "second"
    expect(() => readTFRecords(badData)).toThrow(new TFRecordError('the data of the record at byte 21 fails its CRC32C check'));
    const badLength = good.slice();
    badLength[21] = 7;
    expect(() => readTFRecords(badLength)).toThrow(new TFRecordError('the length of the record at byte 21 fails its CRC32C check'));
  });

  it('stops at a record cut short (a writer killed mid-write) and says the file is truncated', () => {
    const file = concat(tfRecord(bytes('whole')), tfRecord(bytes('cut short')));
    for (const cut of [file.length - 1, 21 + 5, 21 + 12 + 3]) {
      const { records, truncated } = readTFRecords(file.subarray(0, cut));
      expect(records).toHaveLength(1);
      expect(truncated).toBe(true);
    }
  });
});
