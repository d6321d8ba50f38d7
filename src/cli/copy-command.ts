import type { CommandSpec } from './command.js';

/**
 * `fromscratch copy SRC DST`: an image or index from any transport to any
 * other (OCI layout, oci-archive, docker-archive, registry), with no daemon.
 */
export const copyCommand: CommandSpec = {
  name: 'copy',
  summary: 'copy an image or index between oci:, oci-archive:, docker-archive: and docker:// (registries)',
  args: [
    { name: 'source', description: 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG|@N], docker://HOST/REPO[:TAG|@DIGEST]' },
    { name: 'destination', description: 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG], docker://HOST/REPO[:TAG]' },
  ],
  options: [
    { name: 'platform', value: 'os/arch[/variant]', description: 'copy only this platform\'s image from an index' },
    { name: 'insecure', description: 'allow plain HTTP and unverified TLS for registries not on loopback' },
    { name: 'ca-file', value: 'file', description: 'PEM file of extra CA certificates to trust for registries' },
    { name: 'json', description: 'print {source, destination, digest} as JSON' },
  ],
  async run(positionals, options) {
    // Loaded on use: the image and registry code pull in zlib, crypto, tls and streams.
    const { runCopy } = await import('./copy-run.js');
    return runCopy(positionals, options);
  },
};
