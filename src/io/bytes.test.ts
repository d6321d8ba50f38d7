import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteView, clampOffset, decodeUtf8, latin1Text, MAX_SAFE_BIGINT } from './bytes.js';
import { Rng } from '../testing/mutate.js';

/** Eight bytes holding `value` in the given byte order. */
function u64Bytes(value: bigint, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, littleEndian);
  return bytes;
}

test('ByteView.u64Offset gives what clampOffset(u64) gives, in both byte orders, without a bigint', () => {
  const values = [0n, 1n, 0xffffffffn, 0x100000000n, 0x123456789abcn, MAX_SAFE_BIGINT - 1n, MAX_SAFE_BIGINT, MAX_SAFE_BIGINT + 1n, 1n << 60n, (1n << 64n) - 1n];
  for (const littleEndian of [true, false]) {
    for (const value of values) {
      const v = new ByteView(u64Bytes(value, littleEndian), littleEndian, 'test');
      assert.equal(v.u64Offset(0), clampOffset(v.u64(0)), `${value} ${littleEndian ? 'LE' : 'BE'}`);
    }
  }
  // Past 2^53 - 1 is clamped, so a later range check fails instead of reading a rounded offset.
  assert.equal(new ByteView(u64Bytes(MAX_SAFE_BIGINT + 1n, true), true, 'test').u64Offset(0), Number.MAX_SAFE_INTEGER);
  assert.equal(new ByteView(u64Bytes(MAX_SAFE_BIGINT, false), false, 'test').u64Offset(0), Number.MAX_SAFE_INTEGER);
});

test('ByteView.u64Offset outside the structure is a truncated FormatError naming it', () => {
  const v = new ByteView(new Uint8Array(12), true, 'demo: section headers');
  assert.equal(v.u64Offset(4), 0);
  assert.throws(() => v.u64Offset(5), { code: 'truncated', message: /demo: section headers: field at offset 5 \(8 bytes\)/ });
  assert.throws(() => v.u64Offset(-1), { code: 'truncated' });
  assert.throws(() => v.u64Offset(Number.NaN), { code: 'truncated' });
});

test('decodeUtf8 says what a UTF-8 TextDecoder says, ASCII or not, short or long', () => {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const rng = new Rng(3);
  for (let round = 0; round < 500; round++) {
    const length = rng.below(round % 2 === 0 ? 70 : 300);
    // Mostly ASCII, as names in binaries are; some rounds with bytes >= 0x80 (valid UTF-8 or not).
    const highChance = round % 3 === 0 ? 4 : 0;
    const bytes = Uint8Array.from({ length }, () => (highChance > 0 && rng.below(highChance) === 0 ? 0x80 + rng.below(0x80) : 0x20 + rng.below(0x5f)));
    assert.equal(decodeUtf8(bytes), decoder.decode(bytes));
    // A view into a larger buffer, as callers pass.
    const padded = new Uint8Array(length + 7);
    padded.set(bytes, 5);
    assert.equal(decodeUtf8(padded.subarray(5, 5 + length)), decoder.decode(bytes));
  }
});

test('decodeUtf8 agrees with TextDecoder on well-formed, cut and ill-formed UTF-8, and on a leading byte-order mark', () => {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const encoder = new TextEncoder();
  const rng = new Rng(11);
  // Code points of every UTF-8 length, the edges of the surrogate range, the last one, the BOM itself.
  const points = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff];
  // Byte sequences no encoder writes: overlong forms, encoded surrogates, past U+10FFFF, lone continuations, a cut lead.
  const illFormed = [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xbf, 0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];
  for (let round = 0; round < 400; round++) {
    const parts: number[] = round % 4 === 0 ? [0xef, 0xbb, 0xbf] : [];
    for (let k = rng.below(12); k > 0; k--) {
      const pick = rng.below(3);
      if (pick === 0) parts.push(...encoder.encode(String.fromCodePoint(points[rng.below(points.length)] as number)));
      else if (pick === 1) parts.push(...(illFormed[rng.below(illFormed.length)] as number[]));
      else parts.push(0x20 + rng.below(0x5f));
    }
    const bytes = Uint8Array.from(parts);
    assert.equal(decodeUtf8(bytes), decoder.decode(bytes), Buffer.from(bytes).toString('hex'));
  }
});

test('latin1Text gives one character a byte, whatever the bytes, for a view anywhere in its buffer', () => {
  const rng = new Rng(5);
  for (let round = 0; round < 50; round++) {
    const whole = Uint8Array.from({ length: 300 }, () => rng.below(256));
    const start = rng.below(100);
    const view = whole.subarray(start, start + rng.below(200));
    assert.equal(latin1Text(view), Buffer.from(view).toString('latin1'));
  }
});
