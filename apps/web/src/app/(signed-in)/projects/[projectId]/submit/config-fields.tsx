'use client';
// Inputs bound to a path of the run configuration. Labels, help text and choices come from the hparams
// path vocabulary (describePath), and each field shows the validation messages for its own path.
import { describePath } from '@tuneboard/hparams';
import { createContext, useContext, type ReactNode } from 'react';
import { getAt, inputFromValue, numberFromInput, type ConfigDraft } from './run-form-state';

export interface ConfigFormContext {
  config: ConfigDraft;
  /** The last valid configuration with defaults filled in: shown as placeholders for fields left empty. */
  normalized: unknown;
  issues: Map<string, string[]>;
  setField(path: string, value: unknown): void;
}

const FormContext = createContext<ConfigFormContext | null>(null);
export const ConfigFormProvider = FormContext.Provider;

export function useConfigForm(): ConfigFormContext {
  const context = useContext(FormContext);
  if (!context) throw new Error('Config fields must be inside a ConfigFormProvider');
  return context;
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
}

export function FieldIssues({ path }: { path: string }) {
  const messages = useConfigForm().issues.get(path);
  if (!messages) return null;
  return (
    <>
      {messages.map((message) => (
        <span key={message} className="field-error" role="alert" data-issue-path={path}>
          {message}
        </span>
      ))}
    </>
  );
}

function FieldShell({ path, label, children }: { path: string; label?: string; children: ReactNode }) {
  const info = describePath(path);
  const invalid = useConfigForm().issues.has(path);
  return (
    <label className={`field${invalid ? ' invalid' : ''}`} data-path={path}>
      <span className="field-label" title={info?.description}>
        {label ?? lastSegment(path)}
      </span>
      {children}
      {info?.description && <span className="hint">{info.description}</span>}
      <FieldIssues path={path} />
    </label>
  );
}

export function NumberField({ path, label }: { path: string; label?: string }) {
  const { config, normalized, issues, setField } = useConfigForm();
  const placeholder = inputFromValue(getAt(normalized, path));
  return (
    <FieldShell path={path} label={label}>
      <input
        name={path}
        inputMode="decimal"
        autoComplete="off"
        aria-invalid={issues.has(path)}
        value={inputFromValue(getAt(config, path))}
        placeholder={placeholder ? `default ${placeholder}` : undefined}
        onChange={(event) => setField(path, numberFromInput(event.target.value))}
      />
    </FieldShell>
  );
}

export function ChoiceField({
  path,
  label,
  choices,
  onChoose,
}: {
  path: string;
  label?: string;
  choices?: readonly string[];
  onChoose?: (value: string) => void;
}) {
  const { config, normalized, issues, setField } = useConfigForm();
  const options = choices ?? describePath(path)?.values ?? [];
  const current = getAt(config, path) ?? getAt(normalized, path);
  return (
    <FieldShell path={path} label={label}>
      <select
        name={path}
        aria-invalid={issues.has(path)}
        value={inputFromValue(current)}
        onChange={(event) => (onChoose ? onChoose(event.target.value) : setField(path, event.target.value))}
      >
        {current === undefined && <option value="">—</option>}
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function CheckField({ path, label }: { path: string; label?: string }) {
  const { config, normalized, setField } = useConfigForm();
  const checked = Boolean(getAt(config, path) ?? getAt(normalized, path));
  return (
    <FieldShell path={path} label={label}>
      <input name={path} type="checkbox" checked={checked} onChange={(event) => setField(path, event.target.checked)} />
    </FieldShell>
  );
}

/** A field whose type the vocabulary decides (the optimizer's and schedule's variant settings). */
export function SchemaField({ path }: { path: string }) {
  const info = describePath(path);
  if (info?.type === 'boolean') return <CheckField path={path} />;
  if (info?.type === 'string') return <ChoiceField path={path} />;
  return <NumberField path={path} />;
}

/** Hidden layer sizes (MLP) or the dense head (CNN): a list of unit counts. */
export function UnitsListEditor({ path, title }: { path: string; title: string }) {
  const { config, issues, setField } = useConfigForm();
  const units = (getAt(config, path) as unknown[] | undefined) ?? [];
  return (
    <fieldset className="list-editor" data-path={path}>
      <legend>{title}</legend>
      {units.length === 0 && <p className="muted small">None.</p>}
      {units.map((value, index) => {
        const itemPath = `${path}[${index}]`;
        return (
          <div key={index} className={`list-item${issues.has(itemPath) ? ' invalid' : ''}`}>
            <span className="muted">#{index + 1}</span>
            <input
              name={itemPath}
              aria-label={`${title} ${index + 1} units`}
              inputMode="numeric"
              value={inputFromValue(value)}
              onChange={(event) => setField(itemPath, numberFromInput(event.target.value) ?? '')}
            />
            <button
              type="button"
              className="small secondary"
              aria-label={`Remove ${title} ${index + 1}`}
              onClick={() =>
                setField(
                  path,
                  units.filter((_, i) => i !== index),
                )
              }
            >
              ×
            </button>
            <FieldIssues path={itemPath} />
          </div>
        );
      })}
      <button type="button" className="small secondary" onClick={() => setField(path, [...units, units[units.length - 1] ?? 64])}>
        Add layer
      </button>
      <FieldIssues path={path} />
    </fieldset>
  );
}

export function ConvLayersEditor() {
  const { config, setField } = useConfigForm();
  const path = 'model.convLayers';
  const layers = (getAt(config, path) as Record<string, unknown>[] | undefined) ?? [];
  return (
    <fieldset className="list-editor" data-path={path}>
      <legend>Convolution layers</legend>
      {layers.map((layer, index) => {
        const layerPath = `${path}[${index}]`;
        const hasPool = typeof layer.pool === 'object' && layer.pool !== null;
        return (
          <div key={index} className="conv-layer">
            <div className="row">
              <strong>conv {index + 1}</strong>
              <button
                type="button"
                className="small secondary"
                onClick={() =>
                  setField(
                    path,
                    layers.filter((_, i) => i !== index),
                  )
                }
              >
                Remove
              </button>
            </div>
            <div className="field-grid">
              <NumberField path={`${layerPath}.filters`} />
              <NumberField path={`${layerPath}.kernelSize`} />
              <NumberField path={`${layerPath}.stride`} />
              <ChoiceField path={`${layerPath}.padding`} />
              <label className="field">
                <span className="field-label">pool</span>
                <input
                  type="checkbox"
                  checked={hasPool}
                  onChange={(event) => setField(`${layerPath}.pool`, event.target.checked ? { kind: 'max', size: 2 } : undefined)}
                />
              </label>
              {hasPool && (
                <>
                  <ChoiceField path={`${layerPath}.pool.kind`} />
                  <NumberField path={`${layerPath}.pool.size`} />
                  <NumberField path={`${layerPath}.pool.stride`} />
                </>
              )}
            </div>
            <FieldIssues path={layerPath} />
          </div>
        );
      })}
      <button type="button" className="small secondary" onClick={() => setField(path, [...layers, { filters: 16, kernelSize: 3 }])}>
        Add convolution
      </button>
      <FieldIssues path={path} />
    </fieldset>
  );
}
