export * from './source.js';
export * from './bytes.js';
export * from './atomic.js';
export * from './stdout.js';
export * from './file-streams.js';
