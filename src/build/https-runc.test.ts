import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { buildImage } from './build.js';

/**
 * A static Go HTTPS client, built with only a private test CA (--ca-source
 * none --ca-file), talks to a TLS server on 127.0.0.1 signed by that CA.
 * The client asks for https://example.com/, so the image gets an /etc/hosts
 * (--add) pointing that name at 127.0.0.1, and the container shares the
 * host's network namespace to reach the server. The server must be on 443.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-https-test-'));
after(() => rm(work, { recursive: true, force: true }));

async function openssl(args: readonly string[]): Promise<void> {
  const result = await run('openssl', args, { cwd: work });
  assert.equal(result.code, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
}

test('an HTTPS client trusts a test CA given with --ca-file and reaches a TLS server on 127.0.0.1 from runc; without it, it refuses', async () => {
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fromscratch test CA']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=example.com']);
  await writeFile(join(work, 'san.ext'), 'subjectAltName=DNS:example.com\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  const server = createServer({ key: await readFile(join(work, 'server.key')), cert: await readFile(join(work, 'server.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello over TLS\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, '127.0.0.1', () => resolve());
  });
  try {
    const hosts = join(work, 'hosts');
    await writeFile(hosts, '127.0.0.1 example.com localhost\n');
    const layout = join(work, 'layout');
    await buildImage([fixture('go-https-client')], {
      output: `oci:${layout}:test`,
      caSource: 'none',
      caFiles: [join(work, 'ca.pem')],
      add: [{ source: hosts, destination: '/etc/hosts' }],
    });
    const bundle = join(work, 'bundle');
    await unpackBundle(layout, 'test', bundle, { hostNetwork: true });
    const result = await runBundle(bundle);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '200 OK\n');

    // The same build without the test CA: the client now refuses the server, so the bundle is what made it work.
    const noCaLayout = join(work, 'layout-no-ca');
    await buildImage([fixture('go-https-client')], { output: `oci:${noCaLayout}:test`, caSource: 'none', add: [{ source: hosts, destination: '/etc/hosts' }] });
    const noCaBundle = join(work, 'bundle-no-ca');
    await unpackBundle(noCaLayout, 'test', noCaBundle, { hostNetwork: true });
    const refused = await runBundle(noCaBundle);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /certificate/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
