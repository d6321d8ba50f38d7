import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { Rng, mutate } from '../testing/mutate.js';
import { readTar } from './tar-reader.js';
import { writeTar, type TarInput } from './tar-writer.js';

const CASES_PER_SEED_ARCHIVE = 250;
const CASE_TIMEOUT_MS = 2000;

/** Reads the whole archive (draining every body); resolves with the entry count. */
async function consume(bytes: Uint8Array, chunkSize: number): Promise<number> {
  const input = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunkSize) yield Buffer.from(bytes.subarray(i, i + chunkSize));
    })(),
  );
  let count = 0;
  for await (const entry of readTar(input, 'fuzz.tar')) {
    count++;
    // Leave some bodies unread so the skipping path is fuzzed too.
    if (count % 2 === 0) for await (const chunk of entry.body) void chunk;
  }
  return count;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms (hang)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Byte ranges of every 512-byte header block: the places where mutations matter most. */
function headerRanges(bytes: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  for (let offset = 0; offset + 512 <= bytes.length; offset += 512) {
    const block = bytes.subarray(offset, offset + 512);
    // ustar magic at 257 marks a header block.
    if (Buffer.from(block.subarray(257, 262)).toString('latin1') === 'ustar') ranges.push([offset, offset + 512]);
  }
  return ranges;
}

async function ourArchive(): Promise<Uint8Array> {
  const entries: TarInput[] = [
    { header: { path: 'dir/', type: 'dir', mode: 0o755 } },
    { header: { path: `dir/${'long-name-'.repeat(15)}`, type: 'file', mode: 0o644, size: 700, uid: 3_000_000, uname: 'ünïcode' }, body: new Uint8Array(700).fill(3) },
    { header: { path: 'dir/link', type: 'symlink', mode: 0o777, linkname: `/${'t'.repeat(120)}` } },
    { header: { path: 'dir/hard', type: 'hardlink', mode: 0o644, linkname: 'dir/x' } },
    { header: { path: 'small', type: 'file', mode: 0o600, size: 5 }, body: new Uint8Array([1, 2, 3, 4, 5]) },
  ];
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function gnuArchive(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-tarfuzz-'));
  try {
    const root = join(dir, 'r');
    mkdirSync(root);
    writeFileSync(join(root, `${'g'.repeat(150)}`), 'gnu long name');
    writeFileSync(join(root, 'plain'), Buffer.alloc(1500, 7));
    symlinkSync(`${'s'.repeat(130)}`, join(root, 'sym'));
    execFileSync('tar', ['--format=gnu', '-C', root, '-cf', join(dir, 'g.tar'), '.']);
    return readFileSync(join(dir, 'g.tar'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('mutated archives produce entries or FormatError/InputError, never another error or a hang', async () => {
  const seeds: [string, Uint8Array][] = [
    ['ours (PAX)', await ourArchive()],
    ['GNU tar --format=gnu', gnuArchive()],
  ];
  const started = Date.now();
  let failures = 0;
  for (const [label, archive] of seeds) {
    // The unmutated archive reads cleanly, so errors below come from the mutations.
    assert.ok((await consume(archive, 4096)) >= 3, label);
    const hot = headerRanges(archive);
    assert.ok(hot.length >= 3);
    for (let seed = 1; seed <= CASES_PER_SEED_ARCHIVE; seed++) {
      const rng = new Rng(seed * 7919 + archive.length);
      const bytes = mutate(archive, rng, hot);
      try {
        await withTimeout(consume(bytes, 1 + rng.below(2048)), CASE_TIMEOUT_MS, `${label} seed ${seed}`);
      } catch (error) {
        failures++;
        assert.ok(error instanceof InputError, `${label} seed ${seed}: ${error instanceof Error ? error.stack : String(error)}`);
        assert.ok(error.message.startsWith('fuzz.tar: '), `${label} seed ${seed}: ${error.message}`);
      }
    }
  }
  assert.ok(failures > 0, 'some mutations must have been rejected');
  assert.ok(Date.now() - started < 15_000);
});
