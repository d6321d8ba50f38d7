export * from './rootfs.js';
export * from './host.js';
export { CachedRootFS } from './cached.js';
