import { after, before } from 'node:test';
import { startRegistry, type RegistryServer } from './registry-server.js';

/**
 * One plain-HTTP registry for a test file: started before its tests, stopped
 * after them (then `onStop`, e.g. removing the file's scratch directory).
 * Call the returned function inside a test to get the running server.
 */
export function useRegistry(onStop?: () => Promise<void>): () => RegistryServer {
  let server: RegistryServer | undefined;
  before(async () => {
    server = await startRegistry();
  });
  after(async () => {
    await server?.stop();
    await onStop?.();
  });
  return () => {
    if (!server) throw new Error('the test registry is not running');
    return server;
  };
}
