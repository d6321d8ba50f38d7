import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteView, clampOffset, decodeUtf8, MAX_SAFE_BIGINT } from './bytes.js';
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
