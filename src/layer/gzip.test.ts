import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { FormatError } from '../errors.js';
import { Rng } from '../testing/mutate.js';
import { gunzip, gzipParallel, type GzipOptions } from './gzip.js';

const BLOCK = 128 * 1024;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-gzip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Feeds bytes in uneven chunks, so block edges never line up with input chunks. */
function source(bytes: Uint8Array, chunk = 10_007): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield Buffer.from(bytes.subarray(i, i + chunk));
    })(),
  );
}

function compress(bytes: Uint8Array, options: GzipOptions = {}): Promise<Buffer> {
  return collect(gzipParallel(source(bytes), options));
}

/** Text-like data with repeats at every distance, like config files and binaries' string tables. */
function compressible(size: number, seed: number): Buffer {
  const rng = new Rng(seed);
  const words = ['alpha', 'kernel', 'container', 'image', 'layer', 'digest', 'manifest', 'zoneinfo', 'passwd', 'x86_64', '/usr/lib', '0x7f454c46'];
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const line = `${words[rng.below(words.length)]}_${rng.below(5000)} = ${words[rng.below(words.length)]}/${rng.below(100)}\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Go's compress/gzip, single member: prints "<length> <sha256>" of what it decompresses. */
function buildGoGunzip(dir: string): string {
  writeFileSync(
    join(dir, 'main.go'),
    [
      'package main',
      'import ("compress/gzip"; "crypto/sha256"; "fmt"; "io"; "os")',
      'func main() {',
      '  r, err := gzip.NewReader(os.Stdin)',
      '  if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }',
      '  r.Multistream(false)',
      '  h := sha256.New()',
      '  n, err := io.Copy(h, r)',
      '  if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }',
      '  fmt.Printf("%d %x\\n", n, h.Sum(nil))',
      '}',
    ].join('\n'),
  );
  const binary = join(dir, 'go-gunzip');
  execFileSync('go', ['build', '-o', binary, 'main.go'], { cwd: dir, env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod', GO111MODULE: 'off' } });
  return binary;
}

test('gzip -t, gzip -dc, Go compress/gzip and zlib all decompress our output byte-exactly', async (t) => {
  const dir = tempDir(t);
  const goGunzip = buildGoGunzip(dir);
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['1 byte', Buffer.from([42])],
    ['block-1 random', randomBytes(BLOCK - 1)],
    ['block compressible', compressible(BLOCK, 1)],
    ['block+1 compressible', compressible(BLOCK + 1, 2)],
    ['3 MB random', randomBytes(3 * 1024 * 1024)],
    ['5 MB compressible', compressible(5 * 1024 * 1024, 3)],
  ];
  for (const [label, input] of inputs) {
    const gz = await compress(input, { concurrency: 4 });
    const file = join(dir, 'out.gz');
    writeFileSync(file, gz);
    execFileSync('gzip', ['-t', file]);
    assert.ok(execFileSync('gzip', ['-dc', file], { maxBuffer: 64 * 1024 * 1024 }).equals(input), `${label}: gzip -dc`);
    assert.ok(zlib.gunzipSync(gz).equals(input), `${label}: zlib`);
    assert.equal(execFileSync(goGunzip, { input: gz, encoding: 'utf8' }).trim(), `${input.length} ${sha(input)}`, `${label}: Go`);
    // One member: the 10-byte header appears once and the trailer holds the CRC and length of everything.
    assert.equal(gz.readUInt32LE(gz.length - 8), zlib.crc32(input));
    assert.equal(gz.readUInt32LE(gz.length - 4), input.length % 2 ** 32);
    assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  }
});

test('small blocks: matches reach back across several earlier blocks through the dictionary', async () => {
  const input = compressible(200_000, 9);
  for (const blockSize of [1, 1000, 32 * 1024 + 3]) {
    const gz = await compress(input.subarray(0, blockSize === 1 ? 3000 : input.length), { blockSize, concurrency: 3 });
    assert.ok(zlib.gunzipSync(gz).equals(input.subarray(0, blockSize === 1 ? 3000 : input.length)), `block size ${blockSize}`);
  }
  const small = await compress(input, { blockSize: 1000 });
  const single = zlib.gzipSync(input);
  // With the 32 KiB window carried over, 1000-byte blocks compress nearly as well as one stream.
  assert.ok(small.length < single.length * 1.15, `${small.length} vs ${single.length}`);
});

test('output is the same for any concurrency, and deterministic for a level and block size', async () => {
  const input = Buffer.concat([compressible(700_000, 4), randomBytes(300_000)]);
  const one = await compress(input, { concurrency: 1 });
  const four = await compress(input, { concurrency: 4 });
  const again = await compress(input, { concurrency: 2 });
  assert.ok(one.equals(four));
  assert.ok(one.equals(again));
  const otherLevel = await compress(input, { level: 1, concurrency: 4 });
  assert.ok(zlib.gunzipSync(otherLevel).equals(input));
});

test('compression ratio against gzip and pigz (reported; ours at level 6 is no larger than gzip -1)', async (t) => {
  const dir = tempDir(t);
  const input = compressible(6 * 1024 * 1024, 5);
  const file = join(dir, 'in');
  writeFileSync(file, input);
  const sizeOf = (command: string, args: string[]): number => {
    const result = spawnSync(command, [...args, '-c', file], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, `${command} ${args.join(' ')}`);
    return result.stdout.length;
  };
  const ours6 = (await compress(input)).length;
  const ours1 = (await compress(input, { level: 1 })).length;
  const gzip1 = sizeOf('gzip', ['-1']);
  const gzip6 = sizeOf('gzip', ['-6']);
  const pigz6 = sizeOf('pigz', ['-6']);
  t.diagnostic(`6 MiB text: ours -6 ${ours6}, ours -1 ${ours1}, gzip -1 ${gzip1}, gzip -6 ${gzip6}, pigz -6 ${pigz6}`);
  assert.ok(ours6 <= gzip1, `ours ${ours6} > gzip -1 ${gzip1}`);
});

test('errors of the input end the compressed stream with the same error', async () => {
  const failing = new Readable({
    read() {
      this.destroy(new FormatError('malformed', 'in.tar: broken'));
    },
  });
  await assert.rejects(collect(gzipParallel(failing)), (error: unknown) => error instanceof FormatError && error.message === 'in.tar: broken');
});

test('gunzip: round trip, multi-member, and FormatErrors for corrupt, truncated and oversized data', async () => {
  const input = compressible(300_000, 6);
  const gz = await compress(input);
  assert.ok((await collect(gunzip(source(gz, 999)))).equals(input));
  const twoMembers = Buffer.concat([zlib.gzipSync(Buffer.from('ab')), zlib.gzipSync(Buffer.from('cd'))]);
  assert.equal((await collect(gunzip(source(twoMembers)))).toString(), 'abcd');

  const corrupt = Buffer.from(gz);
  corrupt.fill(0x55, 200, 260);
  await assert.rejects(collect(gunzip(source(corrupt), { name: 'layer.gz' })), (error: unknown) => error instanceof FormatError && error.code === 'malformed' && error.message.startsWith('layer.gz: '));
  await assert.rejects(collect(gunzip(source(gz.subarray(0, gz.length - 5)), { name: 'layer.gz' })), (error: unknown) => error instanceof FormatError && error.code === 'truncated');
  await assert.rejects(collect(gunzip(source(Buffer.from('not gzip at all')), { name: 'x' })), (error: unknown) => error instanceof FormatError);

  // A bomb: 64 MiB of zeros compress to ~64 KiB; the limit stops it after about 1 MiB of output.
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  let seen = 0;
  const out = gunzip(source(bomb), { maxOutputBytes: 1024 * 1024, name: 'bomb.gz' });
  await assert.rejects(
    (async () => {
      for await (const chunk of out) seen += (chunk as Buffer).length;
    })(),
    (error: unknown) => error instanceof FormatError && error.code === 'limit' && error.message.startsWith('bomb.gz: '),
  );
  assert.ok(seen <= 1024 * 1024);
});

test('a slow consumer holds back the input (bounded memory); destroying the output stops the input', async () => {
  let produced = 0;
  const chunk = randomBytes(64 * 1024);
  const input = Readable.from(
    (function* () {
      for (let i = 0; i < 1024; i++) {
        produced += chunk.length;
        yield chunk;
      }
    })(),
  );
  const output = gzipParallel(input, { concurrency: 2 });
  const iterator = output[Symbol.asyncIterator]();
  await iterator.next();
  await new Promise((resolve) => setTimeout(resolve, 100));
  // In flight: 2 blocks of 128 KiB, one lookahead block, and the input stream's own buffer of 16 chunks.
  assert.ok(produced <= 4 * 1024 * 1024, `consumed ${produced} of 64 MiB input while the output was not read`);
  await iterator.return?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(input.destroyed, true);
});
