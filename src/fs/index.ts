export * from './rootfs.js';
export * from './host.js';
