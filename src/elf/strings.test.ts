import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BytesSource } from '../io/source.js';
import { StringTable } from './strings.js';

const encoder = new TextEncoder();

/** A file of `before` filler bytes, then the table. */
function fileWith(table: Uint8Array, before = 16): BytesSource {
  const bytes = new Uint8Array(before + table.length).fill(0x41);
  bytes.set(table, before);
  return new BytesSource('demo', bytes);
}

test('StringTable: a small ASCII table is held whole and getHeld answers as get does, without a promise', async () => {
  const table = encoder.encode('\0.text\0.dynsym\0libc.so.6\0end');
  const source = fileWith(table);
  const held = new StringTable(source, 16, table.length);
  const chunked = new StringTable(source, 16, table.length);
  assert.equal(held.getHeld(1), null, 'nothing is held before prepare');
  assert.equal(await held.prepare(), true);
  for (const [index, max] of [[0], [1], [3], [7], [15], [25], [table.length - 1], [table.length], [-1], [1.5], [1, 3]] as [number, number?][]) {
    assert.equal(held.getHeld(index, max), await chunked.get(index, max), `index ${index} max ${max}`);
  }
  assert.equal(held.getHeld(7), '.dynsym');
  assert.equal(held.getHeld(25), 'end', 'a last string without its NUL runs to the end of the table');
  assert.equal(held.getHeld(table.length), undefined);
});

test('StringTable: getHeld gives long names (copied, not sliced) as get does, around the 13-character line', async () => {
  const names = ['libstdc++.so', 'libstdc++.so.6', 'libc.so.6.1.2', '/usr/lib/x86_64-linux-gnu/libfoo.so.1', 'GLIBC_2.2.5'];
  const table = encoder.encode(`\0${names.join('\0')}\0/a/very/long/last/name/without/nul`);
  const source = fileWith(table);
  const held = new StringTable(source, 16, table.length);
  const chunked = new StringTable(source, 16, table.length);
  assert.equal(await held.prepare(), true);
  let index = 1;
  for (const name of names) {
    assert.equal(held.getHeld(index), name);
    for (const max of [undefined, 12, 13, 14, 100]) assert.equal(held.getHeld(index, max), await chunked.get(index, max), `${name} max ${max}`);
    index += name.length + 1;
  }
  assert.equal(held.getHeld(index), '/a/very/long/last/name/without/nul');
  assert.equal(held.getHeld(index + 2), await chunked.get(index + 2));
});

test('StringTable: a table that is not ASCII is not held; get still decodes it', async () => {
  const table = encoder.encode('\0caf\u00e9\0x');
  const strings = new StringTable(fileWith(table), 16, table.length);
  assert.equal(await strings.prepare(), false);
  assert.equal(strings.getHeld(1), null);
  assert.equal(await strings.get(1), 'caf\u00e9');
});

test('StringTable: a table outside the file prepares without reading and answers undefined', async () => {
  const source = fileWith(encoder.encode('\0a\0'));
  for (const offset of [source.size, source.size + 100, Number.MAX_SAFE_INTEGER]) {
    const strings = new StringTable(source, offset, 64);
    assert.equal(strings.size, 0);
    assert.equal(await strings.prepare(), true);
    assert.equal(strings.getHeld(0), undefined);
    assert.equal(await strings.get(0), undefined);
  }
});
