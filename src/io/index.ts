export * from './source.js';
export * from './bytes.js';
