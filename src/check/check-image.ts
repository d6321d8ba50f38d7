import { analyseBinary } from '../analysis/analyse-binary.js';
import type { Finding } from '../analysis/report.js';
import { openExecutable } from '../binary/open.js';
import { describeError } from '../errors.js';
import type { RootFS } from '../fs/rootfs.js';
import { platformText } from '../image/platform.js';
import type { ContainerConfig, Image, ImageConfig } from '../image/types.js';
import { ImageRootFS, type ImageRootFSOptions } from '../rootfs/image-fs.js';
import { commandLine, resolveCommand } from './entrypoint.js';
import { at, type CheckFinding } from './findings.js';
import { goNeedFindings, userFindings } from './needs-in-image.js';
import { nsswitchFindings } from './nsswitch.js';
import { symbolVersionFindings } from './symbol-versions.js';

/**
 * `check`: will this image's entrypoint run in it? Decided without running
 * anything: the image's merged layers become a RootFS, the command is
 * resolved as a runtime would, and the entrypoint binary gets the same
 * analysis `inspect` runs on the host, with the image as its root.
 */

export interface CheckOptions extends ImageRootFSOptions {
  /** The image reference, for messages ("oci:dir:tag"). */
  readonly name: string;
}

export interface CheckedPlatform {
  /** "linux/amd64", from the image config. */
  readonly platform: string;
  readonly entrypoint: { readonly argv: readonly string[]; readonly path: string | null };
  /** No finding of severity error. */
  readonly ok: boolean;
  readonly findings: readonly CheckFinding[];
}


/** The finding ids the link analysis produces that matter inside an image (the rest describe the binary, not the image). */
const LINK_FINDINGS_KEPT = new Set(['interpreter-missing', 'library-missing', 'not-linux', 'not-executable', 'pie-needs-interpreter']);
/** How much of a script is read for its "#!" line (Linux reads 256 bytes). */
const SHEBANG_BYTES = 256;

export async function checkImage(image: Image, options: CheckOptions): Promise<CheckedPlatform> {
  const config = await image.config();
  const platform = platformText({ os: config.os, architecture: config.architecture, ...(config.variant !== undefined ? { variant: config.variant } : {}) });
  const fs = await ImageRootFS.open(image, options.name, { keep: keepForCheck(config.config), ...options });
  const findings: CheckFinding[] = refusedFindings(fs);
  const resolved = await resolveCommand(fs, config.config);
  const entrypoint = { argv: resolved.argv, path: resolved.path };
  findings.push(...at(resolved.path, await entrypointFindings(fs, config, resolved.command, resolved.path, resolved.searched)));
  findings.push(...(await userFindings(fs, config.config)));
  return { platform, entrypoint, ok: !findings.some((f) => f.severity === 'error'), findings };
}

/** Files the loader rules and the needs checks read (src/linker, needs-in-image): kept by the indexing pass. */
const CONFIG_FILES = new Set(['etc/ld.so.cache', 'etc/ld.so.conf', 'etc/passwd', 'etc/group', 'etc/nsswitch.conf']);
const CONFIG_PATTERN = /^etc\/(?:ld\.so\.conf\.d\/[^/]+|ld-musl-[^/]+\.path)$/;
/** A shared object or a loader by its name: libc.so.6, libfoo.so, ld-linux-x86-64.so.2. */
const SHARED_OBJECT = /\.so(?:\.[0-9][0-9.]*)?$/;

/**
 * What `check` will read, guessed before it knows the entrypoint's needs:
 * the command (by name, wherever PATH or links put it), the loader's and
 * the needs' configuration files, and every shared object. Kept by the one
 * indexing pass, within its byte budget, so that the common image is
 * streamed once; anything else is read by streaming its layer again.
 */
export function keepForCheck(config: ContainerConfig | undefined): (path: string) => boolean {
  return keepForAnalysis(commandLine(config)[0] ?? '');
}

/**
 * What analysing `program` inside an image reads: the program (by name,
 * wherever links put it), the loader's and the needs' configuration files,
 * and every shared object. `check` and `inspect IMAGE:/path` both pass it to
 * the indexing pass, so the layer holding the program is streamed once.
 */
export function keepForAnalysis(program: string): (path: string) => boolean {
  const command = program.split('/').pop() ?? '';
  return (path) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    return (command !== '' && name === command) || CONFIG_FILES.has(path) || CONFIG_PATTERN.test(path) || SHARED_OBJECT.test(name);
  };
}

function refusedFindings(fs: ImageRootFS): CheckFinding[] {
  return fs.refusedEntries.map((r) => ({
    id: 'layer-entry-refused',
    path: `/${r.path.replace(/^\/+/, '')}`,
    severity: 'warning',
    message: `layer ${r.layer + 1}: ${r.path}: ${r.reason}; the entry was left out`,
    fix: 'rebuild the layer so that hard links point at files inside the image',
  }));
}

async function entrypointFindings(
  fs: RootFS,
  config: ImageConfig,
  command: string | null,
  path: string | null,
  searched: readonly string[],
): Promise<(Finding | CheckFinding)[]> {
  if (command === null) {
    return [{ id: 'entrypoint-missing', severity: 'error', message: 'the config has no Entrypoint or Cmd: there is nothing to run', fix: 'set ENTRYPOINT ["/path/to/binary"] (fromscratch build sets it)' }];
  }
  if (path === null) {
    return [{ id: 'entrypoint-missing', severity: 'error', message: `${command} is not an executable file in the image's PATH (${searched.join(', ')})`, fix: `copy ${command} into one of those directories, or name it by its absolute path` }];
  }
  const info = await fs.stat(path);
  if (info === undefined) {
    const dangling = (await fs.lstat(path)) !== undefined;
    return [{ id: 'entrypoint-missing', severity: 'error', message: `${path} is not in the image${dangling ? ' (a symlink that leads nowhere in it)' : ''}`, fix: `COPY the program to ${path}, or point Entrypoint at where it is` }];
  }
  if (info.kind !== 'file' || (info.mode & 0o111) === 0) {
    const what = info.kind === 'dir' ? 'a directory' : info.kind !== 'file' ? 'not a regular file' : `mode ${info.mode.toString(8).padStart(4, '0')}, no execute bit`;
    return [{ id: 'entrypoint-not-executable', severity: 'error', message: `${path} is ${what}: the runtime fails with "permission denied"`, fix: `chmod 0755 ${path} in the layer (COPY --chmod=0755)` }];
  }
  const source = await fs.open(path);
  try {
    const head = await source.read(0, Math.min(SHEBANG_BYTES, source.size));
    if (head[0] === 0x23 && head[1] === 0x21) return await scriptFindings(fs, path, head);
    let opened;
    try {
      opened = await openExecutable(source);
    } catch (e) {
      return [{ id: 'entrypoint-not-executable', severity: 'error', message: `${path}: ${describeError(e).message}`, fix: 'replace it with a working Linux executable' }];
    }
    if (!opened) {
      return [{ id: 'entrypoint-not-executable', severity: 'error', message: `${path} is neither an ELF binary nor a "#!" script: exec fails with "exec format error"`, fix: 'point Entrypoint at a Linux executable' }];
    }
    const findings: (Finding | CheckFinding)[] = [];
    if (opened.identity.arch !== config.architecture && opened.kind === 'elf') {
      findings.push({
        id: 'arch-mismatch',
        severity: 'error',
        message: `${path} is a ${opened.identity.arch ?? 'unknown'} ELF binary but the image is ${config.os}/${config.architecture}: it fails with "exec format error"`,
        fix: `build it for ${config.architecture} (GOARCH=${config.architecture} CGO_ENABLED=0 go build for Go), or label the image with the binary's architecture`,
      });
    }
    const analysed = await analyseBinary(path, opened, { root: fs, inRootPath: async () => path });
    for (const f of analysed.report.findings) if (LINK_FINDINGS_KEPT.has(f.id)) findings.push({ ...f, message: `${path}: ${f.message}` });
    if (opened.kind === 'elf' && !findings.some((f) => f.id === 'arch-mismatch')) {
      findings.push(...(await symbolVersionFindings(fs, path, opened.elf, analysed.report.libraries)));
    }
    findings.push(...(await goNeedFindings(fs, analysed.goNeeds, config.config)));
    findings.push(...(await nsswitchFindings(fs, analysed.report)));
    return findings;
  } finally {
    await source.close();
  }
}

/** A "#!" script runs only if its interpreter is an executable file in the image. */
async function scriptFindings(fs: RootFS, path: string, head: Uint8Array): Promise<Finding[]> {
  const end = head.indexOf(0x0a);
  const line = new TextDecoder().decode(head.subarray(2, end < 0 ? head.length : end)).trim();
  const interpreter = line.split(/[ \t]+/)[0] ?? '';
  if (interpreter === '') {
    return [{ id: 'entrypoint-not-executable', severity: 'error', message: `${path} starts with "#!" but names no interpreter`, fix: 'write the interpreter on the first line: #!/bin/sh' }];
  }
  const info = await fs.stat(interpreter.startsWith('/') ? interpreter : `/${interpreter}`);
  if (info?.kind === 'file' && (info.mode & 0o111) !== 0) return [];
  return [{ id: 'interpreter-missing', severity: 'error', message: `${path} is a script for ${interpreter}, which is not ${info ? 'executable' : 'present'} in the image`, fix: `add ${interpreter} to the image, or ship a compiled binary` }];
}
