// The shapes shared by open (non-built-in) hyperparameter schemas: a config
// flattens to typed leaves, whatever kind of schema the project has.

/** The type of one hyperparameter leaf. `integer` and `float` stay apart: `2.0` is not `2`. */
export type OpenType = 'integer' | 'float' | 'boolean' | 'string' | 'null';

export type TypedLeaf =
  | { type: 'integer'; value: number }
  | { type: 'float'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'null'; value: null };

/** Flat path (`optimizer.lr`, `model.layers[3].heads`, `metrics["a.b"]`) → typed leaf. */
export type FlatOpenConfig = Record<string, TypedLeaf>;

/** A problem with its flat path, as the built-in schema reports them (`''` for the config as a whole). */
export interface OpenIssue {
  path: string;
  message: string;
}
