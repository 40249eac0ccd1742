import { applyOverrides, parseConfigText, stringifyTypedJson, type TypedJson } from '@tuneboard/hparams';
import { readFileSync } from 'node:fs';
import { TuneboardError } from '../errors';

/**
 * The config of a `tuneboard run`: a JSON file (--config) with `path=value` overrides (--set) on top, as JSON text
 * in which every number is written as it was (2.0 stays a float). Every problem is reported at once, with its path.
 */
export function buildCommandConfig(options: { configPath?: string; sets?: readonly string[] }): string {
  let config: TypedJson = {};
  if (options.configPath !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.configPath, 'utf8');
    } catch (error) {
      throw new TuneboardError(`Cannot read the config file ${options.configPath}: ${(error as Error).message}`, 'BAD_USER_INPUT');
    }
    const parsed = parseConfigText(text);
    if (!parsed.ok)
      throw new TuneboardError(
        `The config file ${options.configPath} is not valid JSON: ${parsed.issues.map((i) => i.message).join('; ')}`,
        'BAD_USER_INPUT',
        parsed.issues,
      );
    config = parsed.value;
  }
  const applied = applyOverrides(config, options.sets ?? []);
  if (!applied.ok)
    throw new TuneboardError(
      options.configPath !== undefined && applied.issues.some((i) => i.message === 'The config must be a JSON object')
        ? `The config file ${options.configPath} must hold a JSON object, such as {"lr": 0.001}`
        : `Bad --set: ${applied.issues.map((i) => i.message).join('; ')}`,
      'BAD_USER_INPUT',
      applied.issues,
    );
  return stringifyTypedJson(applied.value);
}
