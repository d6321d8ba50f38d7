import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FormatError, InputError } from '../errors.js';
import { DigestStream, isSha256Digest, sha256Digest, verifyingStream } from './digest.js';

/** sha256sum(1) as the oracle. */
function sha256sum(bytes: Uint8Array): string {
  return `sha256:${execFileSync('sha256sum', { input: bytes, encoding: 'utf8' }).split(' ')[0]}`;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function chunks(bytes: Uint8Array, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield Buffer.from(bytes.subarray(i, i + size));
    })(),
  );
}

test('sha256Digest agrees with sha256sum', () => {
  for (const bytes of [new Uint8Array(0), Buffer.from('{"schemaVersion":2}'), randomBytes(100_000)]) {
    const digest = sha256Digest(bytes);
    assert.equal(digest, sha256sum(bytes));
    assert.ok(isSha256Digest(digest));
  }
  assert.equal(isSha256Digest('sha256:ABC'), false);
  assert.equal(isSha256Digest(`sha512:${'0'.repeat(64)}`), false);
});

test('DigestStream passes bytes through unchanged and reports their digest and size at the end', async () => {
  const bytes = randomBytes(777_777);
  const digester = new DigestStream();
  assert.throws(() => digester.digest());
  const out: Buffer[] = [];
  await pipeline(chunks(bytes, 65_000), digester, async function* (source) {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  assert.ok(Buffer.concat(out).equals(bytes));
  assert.equal(digester.size, bytes.length);
  assert.equal(digester.digest(), sha256sum(bytes));
});

test('verifyingStream passes the expected blob through', async () => {
  const bytes = randomBytes(50_000);
  const out = await collect(verifyingStream(chunks(bytes, 4096), { digest: sha256sum(bytes), size: bytes.length }, 'blob'));
  assert.ok(out.equals(bytes));
});

test('verifyingStream rejects a wrong digest, a short blob, and a long blob as soon as it overflows', async () => {
  const bytes = randomBytes(10_000);
  const digest = sha256sum(bytes);
  const tampered = Buffer.from(bytes);
  tampered[5000] = (tampered[5000] ?? 0) ^ 1;
  await assert.rejects(collect(verifyingStream(chunks(tampered, 1000), { digest, size: bytes.length }, 'layer.tar')), (error: unknown) => {
    assert.ok(error instanceof FormatError);
    assert.equal(error.code, 'malformed');
    assert.equal(error.message, `layer.tar: digest mismatch: expected ${digest}, got ${sha256sum(tampered)}`);
    return true;
  });
  await assert.rejects(
    collect(verifyingStream(chunks(bytes.subarray(0, 9000), 1000), { digest, size: bytes.length }, 'short')),
    (error: unknown) => error instanceof FormatError && /^short: size mismatch: expected 10000 bytes, got 9000$/.test(error.message),
  );

  // A source that would never end: the overflow must be noticed without waiting for the end.
  let produced = 0;
  const endless = new Readable({
    read() {
      produced += 1000;
      this.push(Buffer.alloc(1000, 1));
    },
  });
  await assert.rejects(collect(verifyingStream(endless, { digest, size: bytes.length }, 'endless')), (error: unknown) => error instanceof FormatError && /^endless: size mismatch/.test(error.message));
  assert.ok(produced < 200_000, `read ${produced} bytes before stopping`);
  assert.equal(endless.destroyed, true);
});

test('verifyingStream refuses a malformed expected digest and reports source errors as InputError', async () => {
  assert.throws(() => verifyingStream(chunks(Buffer.alloc(1), 1), { digest: 'md5:abc', size: 1 }, 'x'), FormatError);
  assert.throws(() => verifyingStream(chunks(Buffer.alloc(1), 1), { digest: sha256Digest(''), size: -1 }, 'x'), FormatError);
  const failing = new Readable({
    read() {
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(collect(verifyingStream(failing, { digest: sha256Digest(''), size: 0 }, 'remote')), (error: unknown) => error instanceof InputError && error.code === 'io' && error.message === 'remote: connection reset');
});
