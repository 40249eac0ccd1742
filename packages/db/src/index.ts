export * from './client';
export * from './data-dir-lock';
export * from './metric-store';
export * from './run-filter';
export * as schema from './schema/index';
export * from './schema/index';
export * from './catch-up';
export * from './stores/index';
