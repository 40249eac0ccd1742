export { startServer, type RunningServer, type ServerOptions } from './server';
export { buildSchema, printPublishedSchema } from './schema/index';
export { readEnv, type Env } from './env';
export * as accounts from './services/accounts';
