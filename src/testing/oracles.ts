/**
 * The tools our readers are checked against, run and parsed: file(1),
 * readelf, ldd and `go version -m`. Tests compare what fromscratch reads
 * from the bytes with what these established tools say about the same file.
 * Every tool runs without a shell, with a time limit and the C locale.
 */
import { existsSync } from 'node:fs';
import { goBinary } from './fixture-key.js';
import {
  type FileVerdict,
  type GoVersionM,
  type LddResult,
  parseFileOutput,
  parseGoVersionM,
  parseLdd,
  parseReadelfDynamic,
  parseReadelfHeader,
  parseReadelfProgramHeaders,
  type ReadelfDynamic,
  type ReadelfHeader,
  type ReadelfProgramHeaders,
} from './oracle-parsers.js';
import { formatCommand, run, type RunResult } from './process.js';

export * from './oracle-parsers.js';

const TIMEOUT_MS = 60_000;

/** A tool ran but did not give an answer we can use. */
export class OracleError extends Error {
  override name = 'OracleError';
}

function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...extra };
}

async function runTool(file: string, args: string[], env = toolEnv()): Promise<RunResult> {
  return run(file, args, { env, timeoutMs: TIMEOUT_MS });
}

function failed(file: string, args: string[], result: RunResult): OracleError {
  return new OracleError(`${formatCommand(file, args)} exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
}

async function succeed(file: string, args: string[]): Promise<string> {
  const result = await runTool(file, args);
  if (result.code !== 0) throw failed(file, args, result);
  return result.stdout;
}

/** `file -b` (symlinks not followed), parsed. */
export async function fileOracle(path: string): Promise<FileVerdict> {
  return parseFileOutput(await succeed('file', ['-b', path]));
}

/** `readelf -dW`: the dynamic section's needed libraries, search paths, soname and DT_FLAGS_1. */
export async function readelfDynamic(path: string): Promise<ReadelfDynamic> {
  return parseReadelfDynamic(await succeed('readelf', ['-dW', path]));
}

/** `readelf -hW`: class, data encoding, machine and type. */
export async function readelfHeader(path: string): Promise<ReadelfHeader> {
  return parseReadelfHeader(await succeed('readelf', ['-hW', path]));
}

/** `readelf -lW`: the program headers and the requested interpreter. */
export async function readelfProgramHeaders(path: string): Promise<ReadelfProgramHeaders> {
  return parseReadelfProgramHeaders(await succeed('readelf', ['-lW', path]));
}

/**
 * The loader's view of a binary's libraries, in its order. This runs the
 * dynamic loader on the file (ldd does), so use it only on trusted local
 * binaries such as our fixtures. glibc's ldd cannot list a musl binary, so
 * one whose interpreter is musl's loader is listed by that loader
 * (`ld-musl-<arch>.so.1 --list`), which prints the same shape.
 */
export async function lddOracle(path: string): Promise<LddResult> {
  const interpreter = await interpreterOf(path);
  const musl = interpreter !== null && /\/ld-musl-[^/]+\.so\.1$/.test(interpreter) && existsSync(interpreter);
  const [file, args] = musl && interpreter ? [interpreter, ['--list', path]] : ['ldd', [path]];
  const result = await runTool(file, args);
  const text = result.stdout + result.stderr;
  // Both ldd and musl's loader exit 1 for a static binary and say so.
  if (result.code !== 0 && !/not a dynamic executable/.test(text)) throw failed(file, args, result);
  return parseLdd(result.code === 0 ? result.stdout : text);
}

async function interpreterOf(path: string): Promise<string | null> {
  const result = await runTool('readelf', ['-lW', path]);
  if (result.code !== 0) return null; // not ELF: let ldd give its own answer
  return parseReadelfProgramHeaders(result.stdout).interpreter;
}

/**
 * `go version -m`, parsed; null when the file is not a Go binary (the tool
 * then prints only an error on stderr). Uses go1.23 unless `go` names
 * another toolchain binary.
 */
export async function goVersionM(path: string, go: string = goBinary('go1.23')): Promise<GoVersionM | null> {
  const args = ['version', '-m', path];
  const result = await runTool(go, args, toolEnv({ GOTOOLCHAIN: 'local', GOENV: 'off', HOME: process.env.HOME ?? '/' }));
  if (result.code !== 0) throw failed(go, args, result);
  if (result.stdout.trim() === '') {
    if (/could not read Go build info|not a Go executable/.test(result.stderr)) return null;
    throw failed(go, args, result);
  }
  return parseGoVersionM(result.stdout, path);
}
