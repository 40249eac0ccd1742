// The filter language checks hyperparameter paths against the hparams schema, in the browser as in the API.
import type { Vocabulary } from '@tuneboard/filter';
import { describePath, suggestPath } from '@tuneboard/hparams';

export const hparamVocabulary: Vocabulary = { describe: describePath, suggest: suggestPath };
