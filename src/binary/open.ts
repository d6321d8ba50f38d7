import type { ElfFile } from '../elf/types.js';
import { parseElf } from '../elf/index.js';
import type { ByteSource } from '../io/source.js';
import { detectFormat } from './detect.js';
import type { BinaryIdentity } from './identity.js';
import type { ExecutableLayout } from './layout.js';

/** One executable, parsed by whichever reader its magic calls for. */
export type OpenedBinary =
  | { readonly kind: 'elf'; readonly identity: BinaryIdentity; readonly layout: ExecutableLayout; readonly stripped: boolean; readonly elf: ElfFile }
  | { readonly kind: 'macho' | 'pe'; readonly identity: BinaryIdentity; readonly layout: ExecutableLayout; readonly stripped: boolean };

/** How many leading bytes every format's magic fits in. */
const SNIFF_BYTES = 64;

/**
 * Parses `source` as ELF, Mach-O or PE, or returns undefined when its first
 * bytes are none of those. Throws FormatError when the magic matches but the
 * structure is broken.
 */
export async function openExecutable(source: ByteSource): Promise<OpenedBinary | undefined> {
  const head = await source.read(0, Math.min(SNIFF_BYTES, source.size));
  switch (detectFormat(head)) {
    case 'elf': {
      const elf = await parseElf(source);
      return { kind: 'elf', identity: elf.identity, layout: elf.layout, stripped: elf.stripped, elf };
    }
    // The Mach-O and PE readers load with their first file: most runs see only ELF.
    case 'macho': {
      const { parseMachO } = await import('../macho/parse.js');
      const m = await parseMachO(source);
      return { kind: 'macho', identity: m.identity, layout: m.layout, stripped: m.stripped };
    }
    case 'pe': {
      const { parsePe } = await import('../pe/parse.js');
      const p = await parsePe(source);
      return { kind: 'pe', identity: p.identity, layout: p.layout, stripped: p.stripped };
    }
    default:
      return undefined;
  }
}
