import { describePath, knownPaths } from '@tuneboard/hparams';
import type { SchemaPathInfo } from '../src/lib/project-schema';

/** The built-in schema's paths as the API's `hparamSchema.paths` lists them (apps/api services/hparam-schemas.ts). */
export const BUILTIN_PATHS: SchemaPathInfo[] = knownPaths().flatMap((path) => {
  const info = describePath(path.replaceAll('[]', '[0]'));
  if (!info) return [];
  return [{ path, type: info.type === 'number' ? (info.integer ? 'integer' : 'float') : info.type, categories: info.values ?? null }];
});

export const BUILTIN_SCHEMA = { kind: 'BUILTIN', paths: BUILTIN_PATHS } as const;
