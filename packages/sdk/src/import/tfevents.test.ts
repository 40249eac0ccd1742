import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from './protobuf';
import { decodeEvent, readEventFile, writeEventFile } from './tfevents';
import { readTFRecords, tfRecord } from './tfrecord';

describe('TensorBoard event files', () => {
  it('starts with the brain.Event:2 version record, as TensorFlow writes it', () => {
    const file = writeEventFile([{ wallTime: 1700000000.5, step: 0, scalar: { tag: 'loss', value: 1 } }]);
    const { records } = readTFRecords(file);
    expect(new TextDecoder().decode(records[0]!)).toContain('brain.Event:2');
    expect(readEventFile(file).events).toHaveLength(2);
  });

  it('reads scalars written as simple_value (TF1, PyTorch) and as TF2 tensors whose metadata comes with the first value only', () => {
    const file = writeEventFile([
      { wallTime: 100, step: 1, scalar: { tag: 'loss', value: 0.5 } },
      { wallTime: 101, step: 1, scalar: { tag: 'epoch_accuracy', value: 0.25, as: 'tensor' } },
      { wallTime: 102, step: 2, scalar: { tag: 'epoch_accuracy', value: 0.75, as: 'tensor' } },
    ]);
    const { events, truncated } = readEventFile(file);
    expect(truncated).toBe(false);
    expect(events.slice(1).map((e) => [e.step, e.wallTime, e.scalars])).toEqual([
      [1, 100, [{ tag: 'loss', value: 0.5 }]],
      [1, 101, [{ tag: 'epoch_accuracy', value: 0.25 }]],
      [2, 102, [{ tag: 'epoch_accuracy', value: 0.75 }]],
    ]);
  });

  it("reads the HParams plugin's session start (nested values) and end", () => {
    const hparams = { lr: 0.001, batch_size: 32, optimizer: 'adam', nesterov: true, layers: [64, 32], extra: { warmup: 0.1 }, none: null };
    const file = writeEventFile([
      { wallTime: 10, sessionStart: { hparams, groupName: 'g1', startTime: 10 } },
      { wallTime: 20, sessionEnd: { status: 'FAILURE', endTime: 20 } },
    ]);
    const [, start, end] = readEventFile(file).events;
    expect(start!.sessionStart).toEqual({ hparams, groupName: 'g1', startTime: 10 });
    expect(start!.scalars).toEqual([]);
    expect(end!.sessionEnd).toEqual({ status: 'FAILURE', endTime: 20 });
  });

  it('skips what it does not know (images, histograms, unknown fields) and keeps the scalars beside them', () => {
    const event = new ProtobufWriter()
      .double(1, 5)
      .int(2, 7)
      .bytes(99, 'a field from a newer TensorFlow')
      .message(5, (summary) => {
        summary.message(1, (v) =>
          v.bytes(1, 'image').message(4, (image) =>
            image
              .int(1, 28)
              .int(2, 28)
              .bytes(4, new Uint8Array([137, 80])),
          ),
        );
        summary.message(1, (v) => v.bytes(1, 'weights').message(5, (histo) => histo.double(1, -1).double(2, 1)));
        summary.message(1, (v) => v.bytes(1, 'lr').float(2, 0.125));
        // A non-scalar tensor (a text summary's string, or a vector) is not a scalar.
        summary.message(1, (v) =>
          v.bytes(1, 'vector').message(8, (t) =>
            t
              .int(1, 1)
              .message(2, (shape) => shape.message(2, (dim) => dim.int(1, 3)))
              .bytes(4, new Uint8Array(12)),
          ),
        );
      })
      .finish();
    const decoded = decodeEvent(event);
    expect(decoded).toMatchObject({ wallTime: 5, step: 7, scalars: [{ tag: 'lr', value: 0.125 }] });
  });

  it('refuses a malformed protobuf with a clear error instead of guessing', () => {
    const broken = new Uint8Array([0x2a, 0x10, 0x01]); // field 5, length 16, one byte present
    expect(() => readEventFile(tfRecord(broken))).toThrow('field 5 runs past the end of its message');
  });
});
