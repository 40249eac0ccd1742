export * from './accounts';
export * from './projects';
export * from './runs';
export * from './metrics';
export * from './findings';
export * from './limits';
