// The TensorFlow.js backends a run can train on, in the trainer's order of preference. Plain data here, so the
// API (run requirements), the worker and the web name them without importing TensorFlow.js; packages/trainer
// activates them.

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const isBackendName = (value: string): value is BackendName => (BACKEND_NAMES as readonly string[]).includes(value);
