// TensorBoard event files (`events.out.tfevents.*`): TFRecord-framed `Event` protobufs (tensorflow/core/util/
// event.proto, summary.proto, tensor.proto) and the HParams plugin's data (tensorboard/plugins/hparams/
// plugin_data.proto). Read: scalars written either way (TF1 and PyTorch's `simple_value`; TF2's scalar tensors,
// whose metadata comes only with a tag's first value) and the hyperparameters of a session. Written: the same
// shapes, so tests and users can make event files without TensorFlow.
import { fields, float32, float64, int64, numbers, ProtobufWriter, utf8, type FieldValue } from './protobuf';
import { readTFRecords, tfRecord } from './tfrecord';

/** A hyperparameter as the HParams plugin stores it (google.protobuf.Value: numbers are doubles). */
export type HparamValue = number | string | boolean | null | HparamValue[] | { [key: string]: HparamValue };

export type SessionStatus = 'SUCCESS' | 'FAILURE' | 'RUNNING' | 'UNKNOWN';

export interface TensorBoardEvent {
  wallTime: number;
  step: number;
  /** Scalar summaries of this event, by tag. */
  scalars: { tag: string; value: number }[];
  /** The HParams plugin's session start: the run's hyperparameters. */
  sessionStart?: { hparams: Record<string, HparamValue>; groupName: string; startTime: number | null };
  sessionEnd?: { status: SessionStatus; endTime: number | null };
}

const SESSION_STATUSES: SessionStatus[] = ['UNKNOWN', 'SUCCESS', 'FAILURE', 'RUNNING'];

/** TensorFlow DataType numbers of the tensors a scalar can be. */
const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, INT64: 9, BOOL: 10 } as const;

/**
 * The events of one event file, in order. `plugins` remembers each tag's plugin across events (and files of the
 * same run): TF2 writes a tag's metadata with its first value only.
 */
export function readEventFile(file: Uint8Array, plugins: Map<string, string> = new Map()): { events: TensorBoardEvent[]; truncated: boolean } {
  const { records, truncated } = readTFRecords(file);
  return { events: records.map((record) => decodeEvent(record, plugins)), truncated };
}

export function decodeEvent(bytes: Uint8Array, plugins: Map<string, string> = new Map()): TensorBoardEvent {
  const event: TensorBoardEvent = { wallTime: 0, step: 0, scalars: [] };
  for (const f of fields(bytes)) {
    if (f.field === 1 && f.wire === 1) event.wallTime = float64(f.fixed64);
    else if (f.field === 2 && f.wire === 0) event.step = int64(f.varint);
    else if (f.field === 5 && f.wire === 2)
      for (const value of fields(f.bytes)) if (value.field === 1 && value.wire === 2) summaryValue(value.bytes, event, plugins);
  }
  return event;
}

/** One Summary.Value: a scalar, or the HParams plugin's session data; anything else (images, histograms) is skipped. */
function summaryValue(bytes: Uint8Array, event: TensorBoardEvent, plugins: Map<string, string>): void {
  let tag = '';
  let simple: number | undefined;
  let tensor: Uint8Array | undefined;
  let plugin: string | undefined;
  let content: Uint8Array | undefined;
  for (const f of fields(bytes)) {
    if (f.field === 1 && f.wire === 2) tag = utf8(f.bytes);
    else if (f.field === 2 && f.wire === 5) simple = float32(f.fixed32);
    else if (f.field === 8 && f.wire === 2) tensor = f.bytes;
    else if (f.field === 9 && f.wire === 2) ({ plugin, content } = pluginData(f.bytes));
  }
  if (plugin !== undefined) plugins.set(tag, plugin);
  const known = plugins.get(tag);
  if (known === 'hparams') {
    if (content) hparamsPluginData(content, event);
    return;
  }
  if (simple !== undefined) event.scalars.push({ tag, value: simple });
  else if (tensor && (known === undefined || known === 'scalars')) {
    const value = scalarOfTensor(tensor);
    if (value !== undefined) event.scalars.push({ tag, value });
  }
}

/** SummaryMetadata's plugin name and content. */
function pluginData(metadata: Uint8Array): { plugin?: string; content?: Uint8Array } {
  const found: { plugin?: string; content?: Uint8Array } = {};
  for (const m of fields(metadata)) {
    if (m.field !== 1 || m.wire !== 2) continue;
    for (const p of fields(m.bytes)) {
      if (p.field === 1 && p.wire === 2) found.plugin = utf8(p.bytes);
      else if (p.field === 2 && p.wire === 2) found.content = p.bytes;
    }
  }
  return found;
}

/** The value of a one-element numeric tensor (TF2's scalar summaries), or undefined. */
function scalarOfTensor(bytes: Uint8Array): number | undefined {
  let dtype = 0;
  let elements = 1;
  let content: Uint8Array | undefined;
  const values: number[] = [];
  for (const f of fields(bytes)) {
    if (f.field === 1 && f.wire === 0) dtype = Number(f.varint);
    else if (f.field === 2 && f.wire === 2) elements = shapeElements(f.bytes);
    else if (f.field === 4 && f.wire === 2) content = f.bytes;
    else if (f.field === 5) values.push(...numbers(f, 'float'));
    else if (f.field === 6) values.push(...numbers(f, 'double'));
    else if (f.field === 7 || f.field === 10 || f.field === 11) values.push(...numbers(f, 'varint'));
  }
  if (elements !== 1) return undefined;
  if (content) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (dtype === DT.FLOAT && content.length >= 4) return view.getFloat32(0, true);
    if (dtype === DT.DOUBLE && content.length >= 8) return view.getFloat64(0, true);
    if (dtype === DT.INT32 && content.length >= 4) return view.getInt32(0, true);
    if (dtype === DT.INT64 && content.length >= 8) return Number(view.getBigInt64(0, true));
    if (dtype === DT.BOOL && content.length >= 1) return content[0]! ? 1 : 0;
    return undefined;
  }
  const numeric = ([DT.FLOAT, DT.DOUBLE, DT.INT32, DT.INT64, DT.BOOL] as number[]).includes(dtype);
  return numeric && values.length === 1 ? values[0] : undefined;
}

/** Elements of a TensorShapeProto: the product of its dims' sizes (1 for a scalar, which has none). */
function shapeElements(bytes: Uint8Array): number {
  let elements = 1;
  for (const dim of fields(bytes)) {
    if (dim.field !== 2 || dim.wire !== 2) continue;
    for (const d of fields(dim.bytes)) if (d.field === 1 && d.wire === 0) elements *= int64(d.varint);
  }
  return elements;
}

function hparamsPluginData(bytes: Uint8Array, event: TensorBoardEvent): void {
  for (const f of fields(bytes)) {
    if (f.field === 3 && f.wire === 2) {
      const start: NonNullable<TensorBoardEvent['sessionStart']> = { hparams: {}, groupName: '', startTime: null };
      for (const s of fields(f.bytes)) {
        if (s.field === 1 && s.wire === 2) {
          let key = '';
          let value: HparamValue = null;
          for (const e of fields(s.bytes)) {
            if (e.field === 1 && e.wire === 2) key = utf8(e.bytes);
            else if (e.field === 2 && e.wire === 2) value = protobufValue(e.bytes);
          }
          Object.defineProperty(start.hparams, key, { value, enumerable: true, writable: true, configurable: true });
        } else if (s.field === 4 && s.wire === 2) start.groupName = utf8(s.bytes);
        else if (s.field === 5 && s.wire === 1) start.startTime = float64(s.fixed64);
      }
      event.sessionStart = start;
    } else if (f.field === 4 && f.wire === 2) {
      const end: NonNullable<TensorBoardEvent['sessionEnd']> = { status: 'UNKNOWN', endTime: null };
      for (const s of fields(f.bytes)) {
        if (s.field === 1 && s.wire === 0) end.status = SESSION_STATUSES[Number(s.varint)] ?? 'UNKNOWN';
        else if (s.field === 2 && s.wire === 1) end.endTime = float64(s.fixed64);
      }
      event.sessionEnd = end;
    }
  }
}

/** google.protobuf.Value. */
function protobufValue(bytes: Uint8Array): HparamValue {
  let value: HparamValue = null;
  for (const f of fields(bytes)) value = valueField(f, value);
  return value;
}

function valueField(f: { field: number } & FieldValue, current: HparamValue): HparamValue {
  if (f.field === 1) return null;
  if (f.field === 2 && f.wire === 1) return float64(f.fixed64);
  if (f.field === 3 && f.wire === 2) return utf8(f.bytes);
  if (f.field === 4 && f.wire === 0) return f.varint !== 0n;
  if (f.field === 5 && f.wire === 2) {
    const struct: Record<string, HparamValue> = {};
    for (const entry of fields(f.bytes))
      if (entry.field === 1 && entry.wire === 2) {
        let key = '';
        let value: HparamValue = null;
        for (const e of fields(entry.bytes)) {
          if (e.field === 1 && e.wire === 2) key = utf8(e.bytes);
          else if (e.field === 2 && e.wire === 2) value = protobufValue(e.bytes);
        }
        Object.defineProperty(struct, key, { value, enumerable: true, writable: true, configurable: true });
      }
    return struct;
  }
  if (f.field === 6 && f.wire === 2)
    return [...fields(f.bytes)].filter((v) => v.field === 1 && v.wire === 2).map((v) => protobufValue((v as { bytes: Uint8Array }).bytes));
  return current;
}

// ---- writing ----

/** What an event-file writer is given, one event at a time. */
export type EventToWrite =
  | { wallTime: number; step: number; scalar: { tag: string; value: number; as?: 'simple_value' | 'tensor' } }
  | { wallTime: number; sessionStart: { hparams: Record<string, HparamValue>; groupName?: string; startTime?: number } }
  | { wallTime: number; sessionEnd: { status: SessionStatus; endTime?: number } };

/**
 * An event file's bytes: the `brain.Event:2` version record, then the events. A scalar `as: 'tensor'` is written as
 * TF2 does (a float tensor; the `scalars` plugin metadata with the tag's first value only).
 */
export function writeEventFile(events: readonly EventToWrite[]): Uint8Array {
  const records: Uint8Array[] = [
    tfRecord(
      new ProtobufWriter()
        .double(1, events[0]?.wallTime ?? 0)
        .bytes(3, 'brain.Event:2')
        .finish(),
    ),
  ];
  const described = new Set<string>();
  for (const event of events) {
    const writer = new ProtobufWriter().double(1, event.wallTime);
    if ('scalar' in event) {
      writer.int(2, event.step);
      const { tag, value, as = 'simple_value' } = event.scalar;
      writer.message(5, (summary) =>
        summary.message(1, (v) => {
          v.bytes(1, tag);
          if (as === 'simple_value') v.float(2, value);
          else {
            if (!described.has(tag)) v.message(9, (meta) => meta.message(1, (plugin) => plugin.bytes(1, 'scalars')));
            described.add(tag);
            v.message(8, (tensor) => {
              const content = new Uint8Array(4);
              new DataView(content.buffer).setFloat32(0, value, true);
              tensor
                .int(1, DT.FLOAT)
                .message(2, () => undefined)
                .bytes(4, content);
            });
          }
        }),
      );
    } else {
      const tag = 'sessionStart' in event ? '_hparams_/session_start_info' : '_hparams_/session_end_info';
      const data = new ProtobufWriter().int(1, 0);
      if ('sessionStart' in event) {
        const { hparams, groupName, startTime } = event.sessionStart;
        data.message(3, (start) => {
          for (const [key, value] of Object.entries(hparams)) start.message(1, (entry) => entry.bytes(1, key).message(2, (v) => writeValue(v, value)));
          if (groupName !== undefined) start.bytes(4, groupName);
          if (startTime !== undefined) start.double(5, startTime);
        });
      } else {
        const { status, endTime } = event.sessionEnd;
        data.message(4, (end) => {
          end.int(1, SESSION_STATUSES.indexOf(status));
          if (endTime !== undefined) end.double(2, endTime);
        });
      }
      writer.message(5, (summary) =>
        summary.message(1, (v) =>
          v
            .bytes(1, tag)
            .message(9, (meta) => meta.message(1, (plugin) => plugin.bytes(1, 'hparams').bytes(2, data.finish())))
            .message(8, (tensor) => tensor.int(1, 7)),
        ),
      );
    }
    records.push(tfRecord(writer.finish()));
  }
  const out = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const record of records) {
    out.set(record, offset);
    offset += record.length;
  }
  return out;
}

function writeValue(writer: ProtobufWriter, value: HparamValue): void {
  if (value === null) writer.int(1, 0);
  else if (typeof value === 'number') writer.double(2, value);
  else if (typeof value === 'string') writer.bytes(3, value);
  else if (typeof value === 'boolean') writer.int(4, value ? 1 : 0);
  else if (Array.isArray(value)) writer.message(6, (list) => value.forEach((item) => list.message(1, (v) => writeValue(v, item))));
  else
    writer.message(5, (struct) =>
      Object.entries(value).forEach(([key, item]) => struct.message(1, (entry) => entry.bytes(1, key).message(2, (v) => writeValue(v, item)))),
    );
}
