import type { CommandSpec } from './command.js';

/**
 * `fromscratch build <binary>...|<go source dir> -o REF [-- args]`: the smallest image that
 * runs each binary, written with no daemon. Several binaries (one per
 * platform) give a multi-platform index.
 */
export const buildCommand: CommandSpec = {
  name: 'build',
  summary: 'an OCI image holding exactly what a binary (or a Go source directory, built for you) needs, with no Docker daemon; several platforms give a multi-arch index',
  args: [{ name: 'inputs', variadic: true, description: 'Linux binaries (one per platform for a multi-arch index) or a Go source directory' }],
  trailing: 'the image Cmd (arguments to the entrypoint)',
  options: [
    { name: 'output', short: 'o', value: 'ref', description: 'where to write: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG], docker://HOST/REPO:TAG (push)' },
    { name: 'base', value: 'image', description: 'append to this image instead of scratch: oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, docker://REF (its platform must match)' },
    { name: 'platform', value: 'os/arch[/variant]', multiple: true, description: 'Go source: build for this platform (repeatable; several give a multi-arch index) [default: the host]' },
    { name: 'cgo', value: 'strategy', choices: ['off', 'musl', 'libraries'], description: 'Go source that really needs cgo: off (CGO_ENABLED=0), musl (static), libraries (dynamic, closure packed) [default: musl]' },
    { name: 'path', value: 'path', description: 'where the binary goes in the image [default: /app/NAME]' },
    { name: 'root', value: 'dir', default: '/', description: 'take the interpreter, libraries, CA bundle and zoneinfo from this root file system' },
    { name: 'ca-source', value: 'source', default: 'host', choices: ['host', 'node', 'none'], description: "CA certificates when needed: the root's bundle, Node's built-in roots, or none" },
    { name: 'ca-file', value: 'file', multiple: true, description: 'PEM file appended to the CA bundle (repeatable)' },
    { name: 'add', value: 'src:dst', multiple: true, description: 'also copy a host file or directory to an absolute image path (repeatable)' },
    { name: 'user', value: 'user', default: '65532:65532', description: 'uid[:gid] or root, nobody, nonroot' },
    { name: 'compression', value: 'kind', default: 'gzip', choices: ['gzip', 'zstd', 'none'], description: 'layer compression (zstd runs the zstd command)' },
    { name: 'json', description: 'print {ref, digest, platforms} as JSON, each platform with its layers and every file and why it went in' },
  ],
  async run(binaries, options) {
    // Loaded on use: the image code pulls in zlib, crypto, tls and streams, which inspect never needs at start-up.
    const { runBuild } = await import('./build-run.js');
    return runBuild(binaries, options);
  },
};

