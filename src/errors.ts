/**
 * One error tree for the whole tool. Every error a user can cause carries a
 * stable string `code` that scripts may match on; the CLI catches them once,
 * prints a single line and exits 2. Anything that is not a FromscratchError
 * is a bug in fromscratch itself.
 */
export type ErrorCode =
  | 'usage' // wrong flags or arguments
  | 'not-found' // a named file or directory does not exist
  | 'io' // the operating system refused a read
  | 'truncated' // a structure runs past the end of its file
  | 'malformed' // a structure is inconsistent (bad magic, impossible sizes, loops)
  | 'unsupported' // well-formed, but a variant we do not read
  | 'limit' // a count or size beyond the sane bounds we allow
  | 'registry'; // a container registry refused or failed a request (see RegistryError.registryCode)

export class FromscratchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The command line was wrong: the fix is in how the tool was called. */
export class UsageError extends FromscratchError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** A file the user gave could not be read, or is not what it claims to be. */
export class InputError extends FromscratchError {}

/** Bytes that do not parse: truncated, corrupt or hostile input. */
export class FormatError extends InputError {
  constructor(code: 'truncated' | 'malformed' | 'unsupported' | 'limit', message: string) {
    super(code, message);
  }
}

/**
 * A registry answered with an error, or could not be reached after retries.
 * `registryCode` is the OCI Distribution error code (MANIFEST_UNKNOWN,
 * NAME_UNKNOWN, BLOB_UNKNOWN, UNAUTHORIZED, DENIED, TOOMANYREQUESTS...) or one
 * of ours (UNREACHABLE, DIGEST_MISMATCH, PROTOCOL), stable for scripts to match.
 */
export class RegistryError extends FromscratchError {
  readonly registryCode: string;
  /** The HTTP status of the failing answer, when there was one. */
  readonly status: number | undefined;
  constructor(registryCode: string, message: string, options?: { status?: number; cause?: unknown }) {
    super('registry', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.registryCode = registryCode;
    this.status = options?.status;
  }
}

export function isFromscratchError(e: unknown): e is FromscratchError {
  return e instanceof FromscratchError;
}

/** A one-line description of any thrown value, for error entries and the CLI edge. */
export function describeError(e: unknown): { code: string; message: string } {
  if (e instanceof FromscratchError) return { code: e.code, message: e.message };
  const errno = e as NodeJS.ErrnoException | undefined;
  if (errno && typeof errno === 'object' && typeof errno.code === 'string') {
    const code = errno.code === 'ENOENT' ? 'not-found' : 'io';
    return { code, message: errno.message };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
