import { basename, relative } from 'node:path';
import { goMinorRange, readGoEvidence, goRuntimeNeeds, type GoNeed } from '../analysis/needs.js';
import { analyseGoSource, type GoSourceOptions } from '../analysis/go-source.js';
import { openExecutable } from '../binary/open.js';
import { FormatError } from '../errors.js';
import { analyseCgo } from '../golang/cgo.js';
import { readGoInfo } from '../golang/index.js';
import { settingValue } from '../golang/modinfo.js';
import { withFile } from '../io/source.js';

/**
 * Everything the Dockerfile generator needs to know about a program,
 * whether it came from a binary (build info, function names) or from a
 * source tree (go list). The generator itself never reads files.
 */
export interface DockerfileFacts {
  /** What the facts were read from, for the header comment. */
  readonly origin: { readonly kind: 'binary' | 'source'; readonly path: string };
  /** The golang image tag to build with ("1.23.5", "1.19"), or null when unknown (then the newest). */
  readonly goImageVersion: string | null;
  /** Why that tag, for its comment ("the binary's build info says go1.23.5"). */
  readonly goVersionNote: string;
  /** How the builder gets the program: `go build` of the copied source, or `go install path@version`. */
  readonly build:
    | { readonly kind: 'source'; readonly target: string; readonly contextNote: string | null }
    | { readonly kind: 'install'; readonly target: string };
  /** The name of the binary in the image (/app/NAME). */
  readonly binaryName: string;
  /** The platform of the binary the facts came from, when known. */
  readonly platform: { readonly os: string; readonly arch: string } | null;
  /** Build tags the original build used (netgo, osusergo are decided by the generator). */
  readonly tags: readonly string[];
  /** Directory replace directives that leave the module ("example.com/x => ../x"): the build context must hold them. */
  readonly outsideReplaces: readonly string[];
  /** The original -buildmode when it was not the default exe ("pie", ...). */
  readonly originalBuildmode: string | null;
  /** The original -ldflags, when recorded (binaries built without -trimpath). */
  readonly originalLdflags: string | null;
  readonly usesNet: boolean;
  readonly usesOsUser: boolean;
  /** Standard packages that called C in the binary given (net, os/user): the build below swaps in their pure-Go versions. */
  readonly originalCgo: readonly string[];
  /** Packages outside the standard library that call C: cgo must stay on. */
  readonly cgoCulprits: readonly { readonly package: string; readonly module: string; readonly fix: string }[];
  readonly needs: readonly GoNeed[];
}

/** "go1.23.5" → "1.23.5"; a range or devel build → the smallest release it allows, or null. */
export function goImageTag(version: string | null): string | null {
  if (version === null) return null;
  const release = /^go(1\.\d+(?:\.\d+)?)$/.exec(version);
  if (release) return release[1] as string;
  const fromGoMod = /^(1\.\d+(?:\.\d+)?)$/.exec(version);
  if (fromGoMod) return fromGoMod[1] as string;
  const prerelease = /^go(1\.\d+)(?:rc|beta)\d+$/.exec(version);
  if (prerelease) return prerelease[1] as string;
  const range = goMinorRange(version);
  if (range && Number.isFinite(range.max)) return `1.${range.max}`;
  return null;
}

/** A name safe in a path, a shell word and a JSON string: letters, digits, '.', '_', '-'. */
export function safeBinaryName(name: string): string {
  const cleaned = name.replace(/\.exe$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '');
  return cleaned.length > 0 ? cleaned.slice(0, 128) : 'app';
}

/** The last element of an import path that names a program: ".../cmd/tool/v2" → "tool". */
export function programName(importPath: string): string {
  const parts = importPath.split('/').filter((p) => p.length > 0);
  let last = parts.pop() ?? 'app';
  if (/^v\d+$/.test(last) && parts.length > 0) last = parts.pop() ?? last;
  return safeBinaryName(last);
}

const TAG = /^[A-Za-z0-9_.]+$/;

function buildTagsOf(settings: readonly { key: string; value: string }[]): string[] {
  const value = settingValue(settings, '-tags');
  return value ? value.split(/[,\s]+/).filter((t) => TAG.test(t)) : [];
}

/** Reads a Go binary: build info, function names, cgo use and needs. Throws FormatError for a non-Go or unreadable file. */
export async function factsFromBinary(path: string): Promise<DockerfileFacts> {
  return withFile(path, async (source) => {
    const opened = await openExecutable(source);
    if (!opened) throw new FormatError('unsupported', `${source.name}: not an executable (no ELF, Mach-O or PE header)`);
    const go = await readGoInfo(opened.layout);
    if (!go) {
      throw new FormatError('unsupported', `${source.name}: not a Go binary: a Dockerfile needs the Go build to reproduce (use fromscratch build for other binaries)`);
    }
    const read = await readGoEvidence(opened.layout, go);
    if (!read) throw new FormatError('malformed', `${source.name}: Go build info but no function table`);
    const cgo = await analyseCgo(opened.layout, read.packages, go);
    const needs = goRuntimeNeeds({ ...read.evidence, cgo: { resolver: cgo.resolver, userLookup: cgo.userLookup } });
    const packages = read.evidence.packages;
    const mainModule = go.main;
    const mainPath = go.path;
    let build: DockerfileFacts['build'];
    const released = mainModule !== null && /^v\d+\.\d+\.\d+/.test(mainModule.version) && mainModule.replace === undefined;
    if (released && mainPath !== '' && mainPath !== 'command-line-arguments') {
      build = { kind: 'install', target: `${mainPath}@${mainModule.version}` };
    } else if (mainModule !== null && mainPath === mainModule.path) {
      build = { kind: 'source', target: '.', contextNote: `the root of module ${mainModule.path}` };
    } else if (mainModule !== null && mainPath.startsWith(`${mainModule.path}/`)) {
      build = { kind: 'source', target: `./${mainPath.slice(mainModule.path.length + 1)}`, contextNote: `the root of module ${mainModule.path}` };
    } else {
      build = {
        kind: 'source',
        target: '.',
        contextNote: mainPath === 'command-line-arguments' ? 'the directory of the Go files it was built from' : 'the main package\'s directory (the binary does not record it)',
      };
    }
    const goImageVersion = goImageTag(go.version);
    return {
      origin: { kind: 'binary', path },
      goImageVersion,
      goVersionNote: goImageVersion ? `the binary was built with ${go.version}` : `the binary's Go version (${go.version}) names no release`,
      build,
      binaryName: safeBinaryName(basename(path)),
      platform: opened.identity.os !== 'unknown' ? { os: opened.identity.os, arch: opened.identity.arch } : null,
      tags: buildTagsOf(go.settings),
      outsideReplaces: go.deps
        .filter((d) => d.replace !== undefined && (d.replace.path.startsWith('../') || d.replace.path.startsWith('/')))
        .map((d) => `${d.path} => ${d.replace?.path ?? ''}`),
      originalLdflags: settingValue(go.settings, '-ldflags') ?? null,
      originalBuildmode: ((mode) => (mode && mode !== 'exe' ? mode : null))(settingValue(go.settings, '-buildmode')),
      usesNet: packages.has('net'),
      usesOsUser: packages.has('os/user'),
      originalCgo: cgo.packages.filter((p) => p === 'net' || p === 'os/user'),
      cgoCulprits: cgo.culprits.filter((c) => c.module !== 'std' && c.package !== 'runtime/cgo'),
      needs,
    };
  });
}

/** Lists a Go source tree with the Go toolchain: main package, cgo packages, needs. */
export async function factsFromSource(dir: string, options: GoSourceOptions = {}): Promise<DockerfileFacts> {
  const analysis = await analyseGoSource(dir, options);
  const target = analysis.mainPackageDir === '.' ? '.' : `./${analysis.mainPackageDir}`;
  const contextNote =
    analysis.moduleDir !== null && analysis.moduleDir !== analysis.dir
      ? `the module root${analysis.modulePath ? ` of ${analysis.modulePath}` : ''} (${relative(analysis.dir, analysis.moduleDir) || '.'} from ${dir})`
      : null;
  const goImageVersion = goImageTag(analysis.goVersion);
  const packages = new Set(analysis.packages);
  return {
    origin: { kind: 'source', path: dir },
    goImageVersion,
    goVersionNote: goImageVersion ? `go.mod says go ${analysis.goVersion ?? ''}`.trim() : 'go.mod names no Go version',
    build: { kind: 'source', target, contextNote },
    binaryName: programName(analysis.mainPackage),
    platform: null,
    tags: (options.tags ?? []).filter((t) => TAG.test(t)),
    outsideReplaces: [],
    originalLdflags: null,
    originalBuildmode: null,
    usesNet: packages.has('net'),
    usesOsUser: packages.has('os/user'),
    originalCgo: [],
    cgoCulprits: analysis.culprits,
    needs: analysis.needs,
  };
}
