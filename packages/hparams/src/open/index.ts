// Open hyperparameter schemas (declared JSON Schema, inferred from runs) and the flat, typed path vocabulary
// they share with the built-in schema.
export type { FlatOpenConfig, OpenIssue, OpenType, TypedLeaf } from './types';
export { JsonNumber, parseConfigText, plainOf, typedValueOf, type ParseConfigResult, type TypedJson } from './typed-json';
export {
  canonicalOpenPath,
  formatOpenPath,
  formatOpenPattern,
  isBareKey,
  openValueAt,
  parseOpenPath,
  setOwn,
  type ParsePathResult,
  type PathSegment,
} from './path-syntax';
export { flattenOpenConfig, OPEN_LIMITS, readConfigText, type FlattenResult } from './flatten';
export { compileDeclaredSchema, DRAFT_2020_12, type CompileResult, type DeclaredPath, type DeclaredSchema, type DeclaredValidation } from './declared';
export {
  emptyInferredSchema,
  inferSchema,
  inferSchemas,
  INFERRED_LIMITS,
  promoteToDeclared,
  showLeaf,
  type InferredPath,
  type InferredSchema,
} from './inferred';
export { applyOverrides, overrideValue, stringifyTypedJson } from './overrides';
export { inferParamText, typedLeafJson } from './param-text';
