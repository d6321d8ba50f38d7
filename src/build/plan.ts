import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { posix } from 'node:path';
import type { InspectReport, Need, NeedId } from '../analysis/report.js';
import { InputError, UsageError } from '../errors.js';
import { hostFile, hostTree, rootFile } from './host-files.js';
import { groupFile, passwdFile, DEFAULT_USER } from './users.js';

/**
 * What goes into the image, decided from one binary's InspectReport: the
 * binary itself, then one group of files per run-time need the analysis
 * found. Every planned file says why it is there, so the build's summary can
 * show a person where the bytes go.
 */

export type PlannedContent =
  | { readonly kind: 'host'; readonly hostPath: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'dir' }
  | { readonly kind: 'symlink'; readonly target: string };

export interface PlannedFile {
  /** Absolute path inside the image ("/etc/passwd"). */
  readonly path: string;
  readonly content: PlannedContent;
  /** Permission bits. */
  readonly mode: number;
  /** Bytes of content (0 for directories and symlinks). */
  readonly size: number;
  /** The application layer holds only the binary, so rebuilding the app reuses the system layer. */
  readonly layer: 'system' | 'app';
  /** A need id ("ca-certificates"), "app", "add" or "default". */
  readonly reason: string;
  /** What showed the need (functions, symbols), or what the person asked for. */
  readonly evidence: readonly string[];
}

export type CaSource = 'host' | 'node' | 'none';

export interface PlanOptions {
  /** Where the binary goes in the image (default /app/NAME). */
  readonly appPath?: string;
  /** Host directory the system files come from (`--root`; "/" for the host). */
  readonly rootDir: string;
  /** Where the CA bundle comes from when the binary verifies TLS servers (default host). */
  readonly caSource?: CaSource;
  /** Extra PEM files appended to the bundle (private CAs); they add a bundle even when no need was found. */
  readonly caFiles?: readonly string[];
  /** `--add SRC:DST` pairs: host file or directory → absolute image path. */
  readonly add?: readonly { readonly source: string; readonly destination: string }[];
  /** "uid:gid" or a name from the generated /etc/passwd (default 65532:65532, nonroot). */
  readonly user?: string;
}

export interface BuildPlan {
  readonly binary: string;
  readonly appPath: string;
  readonly files: readonly PlannedFile[];
  /** Extra environment (SSL_CERT_FILE when certificates are added). */
  readonly env: readonly string[];
  readonly user: string;
  /** Needs the plan does not meet by itself (shell, exec, plugin): the person has to --add them. */
  readonly unmet: readonly Need[];
}

export const CA_BUNDLE_PATH = '/etc/ssl/certs/ca-certificates.crt';
export const ZONEINFO_PATH = '/usr/share/zoneinfo';

const NSSWITCH_CONF = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';
// With a hosts database in nsswitch.conf but no /etc/hosts, even "localhost" fails to resolve.
const ETC_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
const HANDLED_NEEDS: readonly NeedId[] = ['ca-certificates', 'tzdata', 'passwd', 'tmp', 'nsswitch', 'interpreter', 'libraries'];

export async function planBuild(report: InspectReport, options: PlanOptions): Promise<BuildPlan> {
  if (report.error !== null) throw new InputError(report.error.code === 'not-found' ? 'not-found' : 'io', report.error.message);
  if (report.format !== 'elf' || report.os !== 'linux') {
    throw new InputError('unsupported', `${report.path}: not a Linux ELF binary (${report.format}${report.os ? `, ${report.os}` : ''}); a container image cannot run it`);
  }
  const name = posix.basename(report.path);
  const appPath = checkImagePath(options.appPath ?? `/app/${name}`, '--path');
  const files = new PlanBuilder();
  files.add({ path: appPath, ...(await hostFile(report.path)), layer: 'app', reason: 'app', evidence: [report.path] });
  const needs = new Map(report.needs.map((n) => [n.id, n] as const));
  const env: string[] = [];

  const ca = await caBundle(needs.get('ca-certificates'), options);
  if (ca !== undefined) {
    files.add(bytesFile(CA_BUNDLE_PATH, ca.bytes, 'ca-certificates', ca.evidence));
    env.push(`SSL_CERT_FILE=${CA_BUNDLE_PATH}`);
  }
  const tz = needs.get('tzdata');
  if (tz !== undefined) {
    for (const entry of await hostTree(posix.join(options.rootDir, ZONEINFO_PATH), ZONEINFO_PATH)) {
      files.add({ ...entry, layer: 'system', reason: 'tzdata', evidence: tz.evidence });
    }
  }
  // Always: the image runs as nonroot by default, and a user that /etc/passwd does not name breaks os/user, ssh, git…
  const passwdEvidence = needs.get('passwd')?.evidence ?? [`runs as ${options.user ?? DEFAULT_USER}`];
  files.add(bytesFile('/etc/passwd', passwdFile(), needs.has('passwd') ? 'passwd' : 'default', passwdEvidence));
  files.add(bytesFile('/etc/group', groupFile(), needs.has('passwd') ? 'passwd' : 'default', passwdEvidence));
  files.add({ path: '/tmp', content: { kind: 'dir' }, mode: 0o1777, size: 0, layer: 'system', reason: needs.has('tmp') ? 'tmp' : 'default', evidence: needs.get('tmp')?.evidence ?? ['a writable /tmp'] });

  const nss = needs.get('nsswitch');
  if (nss !== undefined) {
    files.add(bytesFile('/etc/nsswitch.conf', new TextEncoder().encode(NSSWITCH_CONF), 'nsswitch', nss.evidence));
    files.add(bytesFile('/etc/hosts', new TextEncoder().encode(ETC_HOSTS), 'nsswitch', nss.evidence));
    // NSS modules (libnss_files, libnss_dns) are loaded with dlopen, so they are not in the DT_NEEDED closure.
    for (const path of nss.paths.filter((p) => p.includes('/libnss_'))) {
      const found = await rootFile(options.rootDir, path).catch(() => undefined);
      if (found !== undefined) files.add({ path, ...found, layer: 'system', reason: 'nsswitch', evidence: nss.evidence });
    }
  }
  await addLoaderFiles(report, options.rootDir, appPath, files);
  for (const { source, destination } of options.add ?? []) {
    const target = checkImagePath(destination, '--add');
    // What the person names wins over what the analysis planned for the same path.
    for (const entry of await hostTree(source, target)) files.add({ ...entry, layer: 'system', reason: 'add', evidence: [`--add ${source}:${destination}`] }, true);
  }
  return {
    binary: report.path,
    appPath,
    files: files.list(),
    env,
    user: options.user ?? DEFAULT_USER,
    unmet: report.needs.filter((n) => !HANDLED_NEEDS.includes(n.id)),
  };
}

/** The interpreter at its PT_INTERP path and each library at the path the loader found it under. */
async function addLoaderFiles(report: InspectReport, rootDir: string, appPath: string, files: PlanBuilder): Promise<void> {
  if (report.interpreter !== null) {
    const found = await rootFile(rootDir, report.interpreter).catch((e: unknown) => {
      throw new InputError('not-found', `${report.path}: its interpreter ${report.interpreter} is not in ${rootDir}: ${e instanceof Error ? e.message : String(e)}`);
    });
    files.add({ path: report.interpreter, ...found, layer: 'system', reason: 'interpreter', evidence: ['PT_INTERP'] });
  }
  for (const library of report.libraries) {
    if (library.path === null) {
      throw new InputError('not-found', `${report.path}: library ${library.name} (needed by ${library.neededBy}) is not found in ${rootDir}; use --root to point at a sysroot that has it`);
    }
    const found = await rootFile(rootDir, library.path);
    // Named by where it sits in the image: the binary at its image path, a library at its own.
    const neededBy = library.neededBy === report.path ? appPath : library.neededBy;
    files.add({ path: library.path, ...found, layer: 'system', reason: 'libraries', evidence: [`${library.name} needed by ${neededBy}`] });
  }
}

async function caBundle(need: Need | undefined, options: PlanOptions): Promise<{ bytes: Uint8Array; evidence: readonly string[] } | undefined> {
  const extra = options.caFiles ?? [];
  if (need === undefined && extra.length === 0) return undefined;
  const source = options.caSource ?? 'host';
  const parts: string[] = [];
  if (need !== undefined && source === 'host') {
    const path = posix.join(options.rootDir, CA_BUNDLE_PATH);
    parts.push(
      await readFile(path, 'utf8').catch(() => {
        throw new InputError('not-found', `${path}: no CA bundle on this machine; use --ca-source node (Node's built-in roots), --ca-file FILE or --ca-source none`);
      }),
    );
  } else if (need !== undefined && source === 'node') {
    parts.push(rootCertificates.join('\n'));
  }
  for (const file of extra) {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new InputError(e.code === 'ENOENT' ? 'not-found' : 'io', `${file}: cannot read the CA file: ${e.message}`);
    });
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new InputError('io', `${file}: not a PEM certificate file`);
    parts.push(text);
  }
  if (parts.length === 0) return undefined;
  const text = parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  const evidence = [...(need?.evidence ?? []), ...(need !== undefined && source !== 'none' ? [`--ca-source ${source}`] : []), ...extra.map((f) => `--ca-file ${f}`)];
  return { bytes: new TextEncoder().encode(text), evidence };
}

function bytesFile(path: string, bytes: Uint8Array, reason: string, evidence: readonly string[]): PlannedFile {
  return { path, content: { kind: 'bytes', bytes }, mode: 0o644, size: bytes.length, layer: 'system', reason, evidence };
}

/** Absolute, normalised, not the root, no NUL: a path the tar writer will accept once the leading '/' is dropped. */
export function checkImagePath(path: string, option: string): string {
  if (!path.startsWith('/') || path.includes('\0')) throw new UsageError(`${option}: ${JSON.stringify(path)} must be an absolute path in the image`);
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '' || normal === '/') throw new UsageError(`${option}: ${JSON.stringify(path)} names the image's root`);
  return normal;
}

/** Keeps the first file planned for each path (ld.so is both interpreter and library), unless the later one replaces it (--add). */
class PlanBuilder {
  private readonly byPath = new Map<string, PlannedFile>();
  add(file: PlannedFile, replace = false): void {
    if (replace || !this.byPath.has(file.path)) this.byPath.set(file.path, file);
  }
  list(): PlannedFile[] {
    return [...this.byPath.values()];
  }
}
