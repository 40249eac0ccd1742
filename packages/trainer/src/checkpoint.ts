// A run's trained model and its per-epoch checkpoints as files. The model is TF.js's own layers-model format
// (`model.json` + `weights.bin`, loadable with `tf.loadLayersModel`); a checkpoint adds the optimizer's state
// (Adam's moments, momentum's velocities, the iteration count) so that a run resumed at an epoch boundary
// continues as if it had never stopped: the data order and dropout masks are seeded by epoch and step.
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './backends';
import type { TrainingSession } from './session';

/** File name → bytes; the names are relative to the directory they are stored in. */
export type ModelFiles = Record<'model.json' | 'weights.bin', Uint8Array>;
export type CheckpointFiles = ModelFiles & Record<'optimizer.bin' | 'state.json', Uint8Array>;

/** Stored last: a checkpoint directory without it is incomplete. */
export const CHECKPOINT_FILES = ['model.json', 'weights.bin', 'optimizer.bin', 'state.json'] as const;
export const MODEL_FILES = ['model.json', 'weights.bin'] as const;

/** Training state after `epoch` whole epochs (`step` optimizer steps). */
export interface TrainingCheckpoint {
  epoch: number;
  step: number;
  files: CheckpointFiles;
}

interface CheckpointState {
  format: 'tuneboard-checkpoint';
  version: 1;
  epoch: number;
  step: number;
  optimizer: { name: string; weights: tfTypes.io.WeightsManifestEntry[] };
}

/** A checkpoint that cannot be used for this run; the run starts over instead. */
export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The model in TF.js layers-model format. */
export async function saveModelFiles(tf: Tf, model: tfTypes.LayersModel): Promise<ModelFiles> {
  let saved: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      saved = { 'model.json': encoder.encode(JSON.stringify(modelJson)), 'weights.bin': new Uint8Array(weightData) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
  if (!saved) throw new Error('TF.js did not hand over the model to save');
  return saved;
}

/** The model and optimizer after `epoch` epochs. */
export async function captureCheckpoint(tf: Tf, session: TrainingSession, epoch: number, step: number): Promise<TrainingCheckpoint> {
  const model = await saveModelFiles(tf, session.runModel.model);
  const named = await session.optimizer.getWeights();
  try {
    const encoded = await tf.io.encodeWeights(named);
    const state: CheckpointState = {
      format: 'tuneboard-checkpoint',
      version: 1,
      epoch,
      step,
      optimizer: { name: session.optimizer.getClassName(), weights: encoded.specs },
    };
    const optimizerData = tf.io.CompositeArrayBuffer.join(encoded.data);
    return {
      epoch,
      step,
      files: { ...model, 'optimizer.bin': new Uint8Array(optimizerData), 'state.json': encoder.encode(JSON.stringify(state)) },
    };
  } finally {
    // The moments are the optimizer's live variables; only the iteration count is a fresh tensor.
    tf.dispose(named.map((weight) => weight.tensor).filter((tensor) => !('assign' in tensor)));
  }
}

/**
 * Puts a checkpoint's weights and optimizer state into a freshly built session of the same configuration and
 * returns where training continues. Throws CheckpointMismatchError when the files do not fit this model.
 */
export async function restoreCheckpoint(tf: Tf, session: TrainingSession, files: CheckpointFiles): Promise<{ epoch: number; step: number }> {
  const state = parseJson<CheckpointState>(files['state.json'], 'state.json');
  if (state.format !== 'tuneboard-checkpoint' || state.version !== 1) throw new CheckpointMismatchError('state.json is not a Tuneboard checkpoint (version 1)');
  const optimizerName = session.optimizer.getClassName();
  if (state.optimizer.name !== optimizerName)
    throw new CheckpointMismatchError(`The checkpoint holds ${state.optimizer.name} state; this run trains with ${optimizerName}`);
  const modelJson = parseJson<{ weightsManifest?: { weights: tfTypes.io.WeightsManifestEntry[] }[] }>(files['model.json'], 'model.json');
  const specs = modelJson.weightsManifest?.flatMap((group) => group.weights) ?? [];

  // By position, not by name: TF.js makes variable names unique per process, so a second model of the same
  // configuration may name its weights differently; the layer order and shapes are what must agree.
  const expected = session.runModel.model.weights;
  const shapesAgree = specs.length === expected.length && specs.every((spec, i) => sameShape(spec.shape, expected[i]!.shape));
  if (!shapesAgree)
    throw new CheckpointMismatchError(
      `The checkpoint's weights (${specs.map((spec) => `[${spec.shape.join('×')}]`).join(' ')}) do not fit this model (${expected.map((weight) => `[${weight.shape.join('×')}]`).join(' ')})`,
    );
  const weights = tf.io.decodeWeights(arrayBuffer(files['weights.bin']), specs);
  const values = specs.map((spec) => weights[spec.name]!);
  session.runModel.model.setWeights(values);
  tf.dispose(values);

  // setWeights makes variables of these (sharing their data, which outlives the disposal).
  const optimizerWeights = tf.io.decodeWeights(arrayBuffer(files['optimizer.bin']), state.optimizer.weights);
  await session.optimizer.setWeights(state.optimizer.weights.map((spec) => ({ name: spec.name, tensor: optimizerWeights[spec.name]! })));
  tf.dispose(Object.values(optimizerWeights));
  return { epoch: state.epoch, step: state.step };
}

function parseJson<T>(bytes: Uint8Array, name: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    throw new CheckpointMismatchError(`${name} is not JSON`);
  }
}

const sameShape = (a: readonly number[], b: readonly (number | null)[]) => a.length === b.length && a.every((size, i) => size === b[i]);

const arrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;
