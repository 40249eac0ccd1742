import { writeFileSync } from 'node:fs';
import { printPublishedSchema } from '../src/schema/index';

// Publishes the SDL the code serves, so users can point any GraphQL client at it.
writeFileSync(new URL('../schema.graphql', import.meta.url), printPublishedSchema());
