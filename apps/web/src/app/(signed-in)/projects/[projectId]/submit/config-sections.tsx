'use client';
// The form's fieldsets, one per part of the run configuration. Fields read and write the configuration through
// ConfigFormProvider; `replace` swaps a whole part (model kind, optimizer, schedule) with its own defaults.
import { DATASET_NAMES } from '@tuneboard/hparams';
import { ChoiceField, ConvLayersEditor, NumberField, SchemaField, UnitsListEditor, useConfigForm } from './config-fields';
import {
  getAt,
  OPTIMIZER_NAMES,
  optimizerSettingKeys,
  SCHEDULE_KINDS,
  scheduleSettingKeys,
  withModelKind,
  withOptimizer,
  withSchedule,
  type ConfigDraft,
} from './run-form-state';

type Replace = (next: ConfigDraft) => void;

export function DatasetSection() {
  return (
    <fieldset>
      <legend>Dataset</legend>
      <div className="field-grid">
        <ChoiceField path="dataset.name" choices={DATASET_NAMES} />
        <NumberField path="dataset.trainSize" />
        <NumberField path="dataset.testSize" />
        <NumberField path="dataset.splitSeed" />
      </div>
    </fieldset>
  );
}

export function ModelSection({ replace }: { replace: Replace }) {
  const { config } = useConfigForm();
  const modelKind = getAt(config, 'model.kind');
  return (
    <fieldset>
      <legend>Model</legend>
      <div className="segmented" role="radiogroup" aria-label="Model kind">
        {(['mlp', 'cnn'] as const).map((kind) => (
          <label key={kind} className={modelKind === kind ? 'active' : undefined}>
            <input type="radio" name="model.kind" value={kind} checked={modelKind === kind} onChange={() => replace(withModelKind(config, kind))} />
            {kind === 'mlp' ? 'MLP' : 'CNN'}
          </label>
        ))}
      </div>
      {modelKind === 'cnn' ? (
        <>
          <ConvLayersEditor />
          <UnitsListEditor path="model.dense" title="Dense layers" />
        </>
      ) : (
        <UnitsListEditor path="model.hiddenLayers" title="Hidden layers" />
      )}
      <div className="field-grid">
        <ChoiceField path="model.activation" />
        <NumberField path="model.dropout" />
      </div>
    </fieldset>
  );
}

export function OptimizerSection({ replace }: { replace: Replace }) {
  const { config } = useConfigForm();
  return (
    <fieldset>
      <legend>Optimizer</legend>
      <div className="field-grid">
        <ChoiceField path="optimizer.name" choices={OPTIMIZER_NAMES} onChoose={(value) => replace(withOptimizer(config, value))} />
        {optimizerSettingKeys(getAt(config, 'optimizer.name')).map((key) => (
          <SchemaField key={key} path={`optimizer.${key}`} />
        ))}
      </div>
    </fieldset>
  );
}

export function ScheduleSection({ replace }: { replace: Replace }) {
  const { config } = useConfigForm();
  return (
    <fieldset>
      <legend>Learning-rate schedule</legend>
      <div className="field-grid">
        <ChoiceField path="schedule.kind" choices={SCHEDULE_KINDS} onChoose={(value) => replace(withSchedule(config, value))} />
        {scheduleSettingKeys(getAt(config, 'schedule.kind') ?? 'constant').map((key) => (
          <SchemaField key={key} path={`schedule.${key}`} />
        ))}
      </div>
    </fieldset>
  );
}

export function TrainingSection() {
  const { config, setField } = useConfigForm();
  const rangeTest = getAt(config, 'lrRangeTest') !== undefined;
  return (
    <fieldset>
      <legend>Training</legend>
      <div className="field-grid">
        <NumberField path="batchSize" />
        <NumberField path="epochs" />
        <NumberField path="seed" />
      </div>
      <label className="check">
        <input type="checkbox" checked={rangeTest} onChange={(e) => setField('lrRangeTest', e.target.checked ? {} : undefined)} />
        Learning-rate range test instead of training
      </label>
      {rangeTest && (
        <div className="field-grid">
          <NumberField path="lrRangeTest.startLearningRate" />
          <NumberField path="lrRangeTest.endLearningRate" />
          <NumberField path="lrRangeTest.steps" />
        </div>
      )}
    </fieldset>
  );
}
