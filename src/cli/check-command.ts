import type { CommandSpec } from './command.js';

/**
 * `fromscratch check IMAGE`: will the image's entrypoint run in it?
 * Decided from the layers alone, without a daemon or running anything.
 */
export const checkCommand: CommandSpec = {
  name: 'check',
  summary: "decide whether an image's entrypoint will run in it (libraries, architecture, certificates...), without running it",
  args: [{ name: 'image', description: 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG|@N], docker://HOST/REPO[:TAG|@DIGEST]' }],
  options: [
    { name: 'platform', value: 'os/arch[/variant]', description: 'check only this platform of an index [default: every platform]' },
    { name: 'fail-on', value: 'severity', default: 'error', choices: ['error', 'warning', 'info', 'none'], description: 'exit 1 when a finding reaches this severity' },
    { name: 'insecure', description: 'allow plain HTTP and unverified TLS for registries not on loopback' },
    { name: 'ca-file', value: 'file', description: 'PEM file of extra CA certificates to trust for registries' },
    { name: 'json', description: 'print {image, platforms: [{platform, entrypoint, ok, findings}]} as JSON' },
    { name: 'sarif', description: 'print the findings as a SARIF 2.1.0 log, for code-scanning uploads in CI' },
  ],
  async run(positionals, options) {
    // Loaded on use: the image, layer and analysis code is large.
    const { runCheck } = await import('./check-run.js');
    return runCheck(positionals, options);
  },
};
