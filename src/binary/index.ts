export * from './identity.js';
export * from './layout.js';
