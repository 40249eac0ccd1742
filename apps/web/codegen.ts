import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents from the API's published SDL: `npm run generate -w @tuneboard/web` after changing
// src/graphql/*.graphql or when apps/api/schema.graphql changes. The output is committed.
const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/graphql/**/*.graphql'],
  generates: {
    'src/graphql/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          MetricValue: 'number | "NaN" | "Infinity" | "-Infinity"',
          PackedInt32Array: 'string',
          PackedFloat64Array: 'string',
        },
      },
    },
  },
  hooks: { afterOneFileWrite: [] },
};

export default config;
