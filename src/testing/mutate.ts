/**
 * A seeded mutator for fuzzing parsers with corrupted inputs. Deterministic
 * for a given seed, so a failure names the seed that reproduces it.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** xorshift32: fast, tiny, good enough to pick bytes to break. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe];

/**
 * Returns a corrupted copy of `input`: a few random byte flips, interesting
 * values, 4/8-byte all-ones words (huge counts and offsets), or truncation.
 * `hot` optionally lists byte ranges (e.g. headers) to hit more often.
 */
export function mutate(input: Uint8Array, rng: Rng, hot: readonly [number, number][] = []): Uint8Array {
  const out = new Uint8Array(input);
  if (out.length === 0) return out;
  const edits = 1 + rng.below(8);
  for (let e = 0; e < edits; e++) {
    const pos = pickPosition(out.length, rng, hot);
    switch (rng.below(5)) {
      case 0:
        out[pos] = (out[pos] ?? 0) ^ (1 << rng.below(8));
        break;
      case 1:
        out[pos] = INTERESTING[rng.below(INTERESTING.length)] ?? 0;
        break;
      case 2:
        for (let i = 0; i < 4 && pos + i < out.length; i++) out[pos + i] = 0xff;
        break;
      case 3:
        for (let i = 0; i < 8 && pos + i < out.length; i++) out[pos + i] = rng.below(256);
        break;
      default:
        return out.subarray(0, pos);
    }
  }
  return out;
}

function pickPosition(length: number, rng: Rng, hot: readonly [number, number][]): number {
  if (hot.length > 0 && rng.below(3) !== 0) {
    const [start, end] = hot[rng.below(hot.length)] ?? [0, length];
    const s = Math.max(0, Math.min(start, length - 1));
    const e = Math.max(s + 1, Math.min(end, length));
    return s + rng.below(e - s);
  }
  return rng.below(length);
}
