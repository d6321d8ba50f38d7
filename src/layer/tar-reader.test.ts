import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { FormatError } from '../errors.js';
import { readTar, type TarEntry, type TarHeader } from './tar-reader.js';
import { encodeEntryHeader, writeTar, type TarInput } from './tar-writer.js';
import { encodePaxRecord, headerChecksums } from './tar-format.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-tarr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface ReadEntry {
  header: TarHeader;
  sha256: string;
  length: number;
}

async function readAll(input: Readable, name = 'test.tar'): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const entry of readTar(input, name)) out.push(await drain(entry));
  return out;
}

async function drain(entry: TarEntry): Promise<ReadEntry> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of entry.body) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { header: entry.header, sha256: hash.digest('hex'), length };
}

const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** Splits bytes into a stream of small chunks, so headers and records straddle chunk edges. */
function chunked(bytes: Uint8Array, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield Buffer.from(bytes.subarray(i, i + size));
    })(),
  );
}

interface Expected {
  type: TarHeader['type'];
  mode: number;
  content?: Buffer;
  linkname?: string;
}

/** A directory tree with known modes, contents and links, for GNU tar to archive. */
function makeTree(root: string, names: { long150: string; long300: string; unicode: string; longTarget: string }, withFifo: boolean): Map<string, Expected> {
  const expected = new Map<string, Expected>();
  const file = (path: string, content: Buffer, mode: number): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
    expected.set(path, { type: 'file', mode, content });
  };
  file('hello.txt', Buffer.from('hello\n'), 0o644);
  mkdirSync(join(root, 'bin'));
  chmodSync(join(root, 'bin'), 0o750);
  expected.set('bin/', { type: 'dir', mode: 0o750 });
  file('bin/tool', randomBytes(70_000), 0o755);
  symlinkSync('hello.txt', join(root, 'link'));
  expected.set('link', { type: 'symlink', mode: 0o777, linkname: 'hello.txt' });
  linkSync(join(root, 'hello.txt'), join(root, 'hard'));
  expected.set('hard', { type: 'hardlink', mode: 0o644, linkname: 'hello.txt' });
  if (names.long150 !== '') file(names.long150, Buffer.from('one-fifty'), 0o600);
  if (names.long300 !== '') file(names.long300, Buffer.from('three-hundred'), 0o640);
  if (names.unicode !== '') file(names.unicode, Buffer.from('grüezi'), 0o644);
  if (names.longTarget !== '') {
    symlinkSync(names.longTarget, join(root, 'farlink'));
    expected.set('farlink', { type: 'symlink', mode: 0o777, linkname: names.longTarget });
  }
  if (withFifo) {
    execFileSync('mkfifo', ['-m', '0620', join(root, 'pipe')]);
    expected.set('pipe', { type: 'fifo', mode: 0o620 });
  }
  return expected;
}

const long150 = `${'directory-level-name/'.repeat(6)}leaf-file-name-that-is-long.txt`;
const long300 = `${'a-much-longer-directory-level-name/'.repeat(8)}leaf-file.txt`;
const unicodeName = 'données/日本語-ファイル.txt';
const longTarget = `/usr/${'t'.repeat(150)}/target`;

const formats = [
  { format: 'pax', names: { long150, long300, unicode: unicodeName, longTarget }, fifo: true, owners: true },
  { format: 'gnu', names: { long150, long300, unicode: unicodeName, longTarget }, fifo: true, owners: true },
  // ustar splits names up to 255 bytes into prefix + name; longer names and link targets do not fit.
  { format: 'ustar', names: { long150, long300: '', unicode: unicodeName, longTarget: '' }, fifo: true, owners: true },
  // v7 holds names under 100 bytes, no owner names and no special files.
  { format: 'v7', names: { long150: '', long300: '', unicode: '', longTarget: '' }, fifo: false, owners: false },
] as const;

for (const { format, names, fifo, owners } of formats) {
  test(`reads GNU tar --format=${format} archives: types, modes, owners, times, links, contents`, async (t) => {
    assert.ok(long150.length > 100 && long150.length < 255 && long300.length > 255);
    const dir = tempDir(t);
    const root = join(dir, 'root');
    mkdirSync(root);
    const expected = makeTree(root, names, fifo);
    const archive = join(dir, `${format}.tar`);
    const members = [...expected.keys()].map((path) => path.replace(/\/$/, ''));
    execFileSync('tar', [
      `--format=${format}`,
      '--owner=alice:1001',
      '--group=staff:2002',
      '--mtime=@1600000000',
      '--no-recursion',
      '-C',
      root,
      '-cf',
      archive,
      ...members,
    ]);
    const entries = await readAll(createReadStream(archive), archive);
    assert.deepEqual(
      entries.map((entry) => entry.header.path).sort(),
      [...expected.keys()].sort(),
    );
    for (const entry of entries) {
      const want = expected.get(entry.header.path);
      assert.ok(want, entry.header.path);
      const h = entry.header;
      assert.equal(h.type, want.type, `${h.path} type`);
      if (want.type !== 'symlink') assert.equal(h.mode, want.mode, `${h.path} mode`);
      assert.equal(h.uid, 1001);
      assert.equal(h.gid, 2002);
      assert.equal(h.mtime, 1_600_000_000);
      assert.equal(h.uname, owners ? 'alice' : '');
      assert.equal(h.gname, owners ? 'staff' : '');
      assert.equal(h.linkname, want.linkname ?? '', `${h.path} linkname`);
      const content = want.content ?? Buffer.alloc(0);
      assert.equal(h.size, want.type === 'file' ? content.length : 0, `${h.path} size`);
      assert.equal(entry.length, h.size);
      assert.equal(entry.sha256, sha(content), `${h.path} content`);
    }
    // Tiny chunks put every header and record across chunk edges; the result must not change.
    const bytes = readFileSync(archive);
    const again = await readAll(chunked(bytes, 7), archive);
    assert.deepEqual(again, entries);
  });
}

test('round trip: what the writer writes, the reader returns', async () => {
  const entries: TarInput[] = [
    { header: { path: 'etc/', type: 'dir', mode: 0o755, mtime: 5 } },
    { header: { path: `x/${'é'.repeat(80)}`, type: 'file', mode: 0o644, size: 3, uid: 9_000_000, gid: 7, uname: 'a-user-name-longer-than-thirty-two-bytes', gname: 'g' }, body: new Uint8Array([1, 2, 3]) },
    { header: { path: 'link', type: 'symlink', mode: 0o777, linkname: `../${'z'.repeat(200)}` } },
    { header: { path: 'hl', type: 'hardlink', mode: 0o644, linkname: 'etc/passwd' } },
    { header: { path: 'late', type: 'file', mode: 0o644, size: 1, mtime: 2 ** 34 }, body: new Uint8Array([9]) },
  ];
  const tar = writeTar(entries);
  const read = await readAll(tar);
  assert.equal(read.length, entries.length);
  for (const [i, entry] of read.entries()) {
    const input = entries[i]?.header;
    assert.ok(input);
    assert.equal(entry.header.path, input.path);
    assert.equal(entry.header.type, input.type);
    assert.equal(entry.header.mode, input.mode);
    assert.equal(entry.header.uid, input.uid ?? 0);
    assert.equal(entry.header.gid, input.gid ?? 0);
    assert.equal(entry.header.uname, input.uname ?? '');
    assert.equal(entry.header.linkname, input.linkname ?? '');
    assert.equal(entry.header.mtime, input.mtime ?? 0);
    assert.equal(entry.header.size, input.size ?? 0);
  }
});

test('an 8 GiB size from a PAX record is read; the missing data is reported as truncated', async () => {
  const size = 8 * 1024 ** 3 + 1;
  const header = encodeEntryHeader({ path: 'huge', type: 'file', mode: 0o644, size, linkname: '', uid: 0, gid: 0, uname: '', gname: '', mtime: 0 });
  const input = Buffer.concat([header, Buffer.alloc(4096, 1)]);
  const iterator = readTar(chunked(input, 1000), 'huge.tar')[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.equal((first.value as TarEntry).header.size, size);
  await assert.rejects(iterator.next(), (error: unknown) => error instanceof FormatError && error.code === 'truncated' && error.message.startsWith('huge.tar: '));
});

test('bodies the consumer does not read are skipped', async () => {
  const entries: TarInput[] = [1, 2, 3].map((n) => ({
    header: { path: `f${n}`, type: 'file', mode: 0o644, size: n * 10_000 },
    body: Buffer.alloc(n * 10_000, n),
  }));
  const paths: string[] = [];
  let index = 0;
  for await (const entry of readTar(chunked(Buffer.concat(await streamBytes(writeTar(entries))), 3000), 't')) {
    paths.push(entry.header.path);
    // Read only part of the second body; ignore the others.
    if (index++ === 1) {
      const iterator = entry.body[Symbol.asyncIterator]();
      const chunk = (await iterator.next()).value as Buffer;
      assert.equal(chunk[0], 2);
    }
  }
  assert.deepEqual(paths, ['f1', 'f2', 'f3']);
});

async function streamBytes(stream: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return out;
}

test('breaking out of the iteration destroys the input', async () => {
  const bytes = Buffer.concat(await streamBytes(writeTar([{ header: { path: 'a', type: 'file', mode: 0o644, size: 1 }, body: new Uint8Array(1) }, { header: { path: 'b', type: 'dir', mode: 0o755 } }])));
  const input = chunked(bytes, 512);
  for await (const entry of readTar(input, 't')) {
    assert.equal(entry.header.path, 'a');
    break;
  }
  assert.equal(input.destroyed, true);
});

/** A header block built field by field, with a correct checksum unless told otherwise. */
function rawHeader(fields: { name: string; size?: string; typeflag?: string; magic?: 'ustar' | 'gnu' | 'v7'; sizeBytes?: Uint8Array }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  if (fields.sizeBytes) Buffer.from(fields.sizeBytes).copy(block, 124);
  else block.write(fields.size ?? '00000000000\0', 124, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.write(fields.typeflag ?? '0', 156, 'ascii');
  if ((fields.magic ?? 'ustar') === 'ustar') block.write('ustar\x0000', 257, 'latin1');
  if (fields.magic === 'gnu') block.write('ustar  \0', 257, 'latin1');
  block.write(`${headerChecksums(block).unsigned.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

const END = Buffer.alloc(1024);

test('GNU long names (L, K) and global PAX headers apply as the formats say', async () => {
  const longName = `${'n'.repeat(300)}`;
  const longLink = `${'k'.repeat(200)}`;
  const nameData = Buffer.from(`${longName}\0`);
  const linkData = Buffer.from(`${longLink}\0`);
  const pad = (b: Uint8Array): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  const globalRecords = Buffer.concat([encodePaxRecord('uid', '4242'), encodePaxRecord('comment', 'ignored')]);
  const localRecords = encodePaxRecord('uid', '');
  const bytes = Buffer.concat([
    rawHeader({ name: 'pax_global_header', typeflag: 'g', size: globalRecords.length.toString(8).padStart(11, '0') + '\0' }),
    pad(globalRecords),
    rawHeader({ name: '././@LongLink', typeflag: 'L', magic: 'gnu', size: nameData.length.toString(8).padStart(11, '0') + '\0' }),
    pad(nameData),
    rawHeader({ name: '././@LongLink', typeflag: 'K', magic: 'gnu', size: linkData.length.toString(8).padStart(11, '0') + '\0' }),
    pad(linkData),
    rawHeader({ name: 'short', typeflag: '2', magic: 'gnu' }),
    rawHeader({ name: 'second', typeflag: '5' }),
    rawHeader({ name: 'PaxHeaders.0/third', typeflag: 'x', size: localRecords.length.toString(8).padStart(11, '0') + '\0' }),
    pad(localRecords),
    rawHeader({ name: 'third/', typeflag: '\0', magic: 'v7' }),
    END,
  ]);
  const entries = await readAll(chunked(bytes, 100));
  assert.deepEqual(
    entries.map((e) => [e.header.path, e.header.type, e.header.linkname, e.header.uid]),
    [
      [longName, 'symlink', longLink, 4242],
      ['second', 'dir', '', 4242],
      // An empty local value cancels the global one; a v7 name ending in '/' is a directory.
      ['third/', 'dir', '', 0],
    ],
  );
});

test('malformed and truncated archives fail with FormatError naming the archive', async () => {
  const good = Buffer.concat([rawHeader({ name: 'f', size: '00000000012\0' }), Buffer.alloc(512, 0x61), END]);
  const badChecksum = Buffer.from(good);
  badChecksum[0] = 0x67;
  const hugeRecord = rawHeader({ name: 'x', typeflag: 'x', size: (2 * 1024 * 1024).toString(8).padStart(11, '0') + '\0' });
  const negative = new Uint8Array(12).fill(0xff);
  // "9 path=a\n" is 9 bytes; the 'x' header below gives its data as 8 (octal 10).
  const badPax = Buffer.from(encodePaxRecord('path', 'a'));
  const cases: [string, Buffer, string][] = [
    ['bad checksum', badChecksum, 'malformed'],
    ['non-octal size', Buffer.concat([rawHeader({ name: 'f', size: '0000000001x\0' }), END]), 'malformed'],
    ['negative base-256 size', Buffer.concat([rawHeader({ name: 'f', sizeBytes: negative }), END]), 'malformed'],
    ['PAX record over 1 MiB', Buffer.concat([hugeRecord, END]), 'limit'],
    ['PAX record length past its data', Buffer.concat([rawHeader({ name: 'x', typeflag: 'x', size: '00000000010\0' }), Buffer.concat([badPax, Buffer.alloc(512 - badPax.length)]), rawHeader({ name: 'f' }), END]), 'malformed'],
    ['PAX size not a number', Buffer.concat([rawHeader({ name: 'x', typeflag: 'x', size: '00000000013\0' }), Buffer.concat([encodePaxRecord('size', '-12'), Buffer.alloc(503)]), rawHeader({ name: 'f' }), END]), 'malformed'],
    ['truncated data', good.subarray(0, 600), 'truncated'],
    ['truncated header', good.subarray(0, 300), 'truncated'],
    ['extended header without entry', Buffer.concat([rawHeader({ name: 'x', typeflag: 'x' }), END]), 'truncated'],
  ];
  for (const [what, bytes, code] of cases) {
    await assert.rejects(readAll(chunked(bytes, 64), 'bad.tar'), (error: unknown) => {
      assert.ok(error instanceof FormatError, `${what}: ${String(error)}`);
      assert.equal(error.code, code, `${what}: ${error.message}`);
      assert.ok(error.message.startsWith('bad.tar: '), error.message);
      return true;
    });
  }
  // The same archive with a correct checksum reads fine, so the cases above fail for the reason named.
  const ok = await readAll(chunked(good, 64));
  assert.equal(ok[0]?.length, 10);
});

test('an archive without end blocks that stops at a header boundary is accepted; trailing data is drained', async () => {
  const entry = Buffer.concat([rawHeader({ name: 'f', size: '00000000001\0' }), Buffer.alloc(512, 1)]);
  assert.equal((await readAll(chunked(entry, 512))).length, 1);
  const withTrailer = Buffer.concat([entry, END, Buffer.alloc(9000, 0x55)]);
  const input = chunked(withTrailer, 512);
  assert.equal((await readAll(input)).length, 1);
  assert.equal(input.readableEnded, true);
});

test('a truncated body skipped with resume() fails the iteration, not the process', async () => {
  const bytes = Buffer.concat([rawHeader({ name: 'f', size: '00000010000\0' }), Buffer.alloc(1000, 1)]);
  await assert.rejects(
    (async () => {
      for await (const entry of readTar(chunked(bytes, 256), 'cut.tar')) {
        entry.body.resume();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })(),
    (error: unknown) => error instanceof FormatError && error.code === 'truncated' && error.message.startsWith('cut.tar: f: truncated data'),
  );
});
