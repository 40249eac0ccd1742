export * from './accounts';
export * from './projects';
export * from './run-status';
export * from './runs';
export * from './metrics';
export * from './findings';
export * from './limits';
export * from './logs';
