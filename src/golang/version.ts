import type { ExecutableLayout } from '../binary/layout.js';
import { decodeUtf8 } from '../io/bytes.js';
import { readGoStringAt } from './address.js';
import { PCLNTAB_MAGICS } from './pclntab.js';
import { dataSpans, scanSpan } from './scan.js';

/**
 * The Go version of a binary whose build info is gone: first the runtime's
 * own `runtime.buildVersion` string (needs a symbol table), then a
 * "go1.N[.M]" string in read-only data (stripped binaries still carry the
 * string the runtime reports from runtime.Version()).
 */

/** A release version as the runtime reports it. */
const RELEASE_VERSION = /^go1\.(\d+)(?:\.(\d+))?(?:(?:rc|beta)\d+)?$/;
/** What a recorded version may look like at all (release, or a development build). */
const PLAUSIBLE_VERSION = /^(?:go1\.\d|devel )[\x20-\x7e]*$/;
const MAX_VERSION_LENGTH = 256;

/** runtime.buildVersion's value, read through its Go string header; undefined when absent or implausible. */
export async function versionFromSymbol(layout: ExecutableLayout): Promise<string | undefined> {
  const symbol = await layout.findSymbol('runtime.buildVersion');
  if (!symbol) return undefined;
  const bytes = await readGoStringAt(layout, symbol.value, layout.pointerSize, layout.littleEndian);
  if (bytes.length === 0 || bytes.length > MAX_VERSION_LENGTH) return undefined;
  const text = decodeUtf8(bytes);
  return PLAUSIBLE_VERSION.test(text) ? text : undefined;
}

const RODATA_SECTIONS = ['.rodata', '__rodata', '.rdata'];
const NEEDLE = new Uint8Array([0x67, 0x6f, 0x31, 0x2e]); // "go1."
/** Longest "go1.NNN.NNNrcNNN" we consider, plus the byte that must end it. */
const CANDIDATE_WINDOW = 24;
const MAX_CANDIDATES = 4096;

interface Candidate {
  readonly text: string;
  readonly minor: number;
  readonly patch: number;
  readonly score: number;
}

function isVersionByte(b: number | undefined): boolean {
  // Digits and '.' would continue the number; anything else ends it.
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || b === 0x2e);
}

/**
 * The longest release version starting at `index`, ending where a byte that
 * cannot continue a version follows (NUL, letter, space: Go's string data is
 * packed without terminators).
 */
function candidateAt(bytes: Uint8Array, index: number): Candidate | undefined {
  const window = bytes.subarray(index, Math.min(bytes.length, index + CANDIDATE_WINDOW));
  const text = String.fromCharCode(...window);
  const m = /^go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?/.exec(text);
  if (!m) return undefined;
  const version = m[0];
  const after = window[version.length];
  if (isVersionByte(after)) return undefined;
  const parts = RELEASE_VERSION.exec(version);
  if (!parts) return undefined;
  const before = index > 0 ? bytes[index - 1] : 0;
  let score = 0;
  // A full release number (or pre-release) beats a bare "go1.N", which is usually a language version in some message.
  if (version !== `go1.${parts[1]}`) score += 4;
  // The runtime's string often stands alone, NUL-padded; prose around it ("requires go1.22 or later") does not.
  if (before === 0 && (after === 0 || after === undefined)) score += 2;
  if (before === 0x20 || before === 0x22 || before === 0x3c || before === 0x28 || after === 0x20) score -= 1;
  return { text: version, minor: Number(parts[1]), patch: Number(parts[2] ?? 0), score };
}

/**
 * The best "go1.N[.M]" candidate in the read-only data, limited to the
 * releases the pclntab magic allows when it is known.
 */
export async function versionFromRodata(layout: ExecutableLayout, pclntabMagic?: number): Promise<string | undefined> {
  const allowed = pclntabMagic === undefined ? undefined : PCLNTAB_MAGICS.get(pclntabMagic);
  let best: Candidate | undefined;
  const better = (a: Candidate, b: Candidate | undefined): boolean =>
    b === undefined || a.score > b.score || (a.score === b.score && (a.minor > b.minor || (a.minor === b.minor && a.patch > b.patch)));
  for (const span of dataSpans(layout, RODATA_SECTIONS)) {
    await scanSpan(layout.source, span, [NEEDLE], CANDIDATE_WINDOW, MAX_CANDIDATES, (hit) => {
      const c = candidateAt(hit.bytes, hit.index);
      if (c && (allowed === undefined || (c.minor >= allowed.minMinor && c.minor <= allowed.maxMinor)) && better(c, best)) best = c;
      return false;
    });
  }
  return best?.text;
}
