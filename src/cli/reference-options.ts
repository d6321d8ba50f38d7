import { UsageError } from '../errors.js';
import type { ReferenceOptions } from '../image/open-reference.js';
import type { TransferProgress } from '../registry/client.js';

/** The options of every command that opens images by reference (check, copy, inspect IMAGE:/path). */
export interface ReferenceFlags {
  readonly platform?: unknown;
  readonly insecure?: unknown;
  readonly caFile?: unknown;
}

const PLATFORM_FORM = /^[^/\s]+\/[^/\s]+(\/[^/\s]+)?$/;

/**
 * ReferenceOptions from --platform, --insecure and --ca-file, with
 * --platform checked for its os/arch[/variant] form (a usage error naming
 * `command`), and `progress` when given.
 */
export function referenceOptions(command: string, flags: ReferenceFlags, progress?: TransferProgress): ReferenceOptions {
  const { platform } = flags;
  if (platform !== undefined && (typeof platform !== 'string' || !PLATFORM_FORM.test(platform))) {
    throw new UsageError(`${command}: --platform ${JSON.stringify(platform)} is not os/arch[/variant]`);
  }
  return {
    ...(flags.insecure === true ? { insecure: true } : {}),
    ...(typeof flags.caFile === 'string' ? { caFile: flags.caFile } : {}),
    ...(typeof platform === 'string' ? { platform } : {}),
    ...(progress !== undefined ? { progress } : {}),
  };
}
