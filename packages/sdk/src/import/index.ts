// Importing runs from other trackers' files (`tuneboard import …`): readers that turn their files into
// ImportedRuns, and one importer that sends those through the API, idempotently.
export {
  importRuns,
  ImportSourceError,
  sourceTag,
  type Finishing,
  type ImportedRun,
  type ImportedSeries,
  type ImportProgress,
  type ImportSummary,
} from './runs';
export { readMlflowFileStore, writeMlflowFileStore, type MlflowExperiment, type MlrunsRun } from './mlflow-files';
export { readMlflowServer, type MlflowServer } from './mlflow-server';
export { readTensorBoardLogdir } from './tensorboard';
export { readEventFile, writeEventFile, type EventToWrite, type HparamValue, type TensorBoardEvent } from './tfevents';
export { crc32c, maskedCrc32c, readTFRecords, tfRecord, TFRecordError } from './tfrecord';
