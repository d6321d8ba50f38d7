import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryError } from '../errors.js';
import { run } from '../testing/process.js';
import { syntheticImage } from '../testing/registry-fixtures.js';
import { htpasswdLine, makeTestPki, startRegistry, type RegistryServer, type TestPki } from '../testing/registry-server.js';
import { RegistryClient } from './client.js';
import type { RequestEvent } from './http.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';

/**
 * A registry behind TLS (a CA made for this test) with htpasswd Basic auth;
 * the client finds the credentials in a DOCKER_CONFIG config.json.
 */

const USER = 'tester';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

let pki: TestPki;
let registry: RegistryServer;
let configDir: string;
let env: Record<string, string | undefined>;

before(async () => {
  pki = await makeTestPki();
  const htpasswd = join(pki.dir, 'htpasswd');
  await writeFile(htpasswd, `${await htpasswdLine(USER, PASSWORD)}\n`);
  registry = await startRegistry({ tls: { certFile: pki.certFile, keyFile: pki.keyFile }, htpasswdFile: htpasswd });
  configDir = await mkdtemp(join(tmpdir(), 'fromscratch-docker-config-'));
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  // Only DOCKER_CONFIG: no REGISTRY_AUTH_FILE or XDG auth.json of this machine may answer instead.
  env = { DOCKER_CONFIG: configDir, HOME: configDir };
});

after(async () => {
  await registry?.stop();
  await pki?.remove();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

test('push and pull over TLS with Basic credentials from config.json; the secret appears in no error', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(4000), cmd: ['/tls'] });
  const digest = (await image.descriptor()).digest;
  const ref = `${registry.host}/secure/app:1`;
  const events: RequestEvent[] = [];
  const pushed = await pushImage(ref, image, { env, caFile: pki.caFile, onRequest: (e) => events.push(e) });
  assert.equal(pushed.descriptor.digest, digest);
  assert.ok(events.every((e) => e.url.startsWith('https://')), 'everything went over TLS');

  const pulled = await pullImage(ref, { env, caFile: pki.caFile });
  assert.equal(pulled.kind, 'image');
  if (pulled.kind === 'image') assert.equal((await pulled.image.descriptor()).digest, digest);

  // skopeo, trusting the same CA and logging in with the same user, sees the same digest.
  const inspect = await run('skopeo', ['inspect', '--cert-dir', pki.trustDir, '--creds', `${USER}:${PASSWORD}`, `docker://${ref}`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, digest);
});

test('no credentials → UNAUTHORIZED; wrong password → UNAUTHORIZED without leaking it', async () => {
  const emptyDir = await mkdtemp(join(tmpdir(), 'fromscratch-docker-config-'));
  try {
    const anonymous = new RegistryClient(registry.host, { env: { DOCKER_CONFIG: emptyDir, HOME: emptyDir }, caFile: pki.caFile });
    await assert.rejects(anonymous.getManifest('secure/app', '1'), (e: unknown) => e instanceof RegistryError && e.registryCode === 'UNAUTHORIZED' && e.status === 401);
    anonymous.close();
    const wrongPassword = `wrong-${randomBytes(6).toString('hex')}`;
    const wrong = new RegistryClient(registry.host, { credentials: { username: USER, password: wrongPassword }, caFile: pki.caFile });
    await assert.rejects(wrong.getManifest('secure/app', '1'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.registryCode, 'UNAUTHORIZED');
      assert.ok(!e.message.includes(wrongPassword));
      assert.ok(!e.message.includes(Buffer.from(`${USER}:${wrongPassword}`).toString('base64')));
      return true;
    });
    wrong.close();
  } finally {
    await rm(emptyDir, { recursive: true, force: true });
  }
});

test('a CA in the system bundle (SSL_CERT_FILE) is trusted without --ca-file', async () => {
  const client = new RegistryClient(registry.host, { env: { ...env, SSL_CERT_FILE: pki.caFile } });
  try {
    const image = syntheticImage({ layerBytes: randomBytes(2000), cmd: ['/system-ca'] });
    await pushImage(`${registry.host}/secure/system-ca:1`, image, { client });
    assert.equal((await client.getManifest('secure/system-ca', '1')).digest, (await image.descriptor()).digest);
  } finally {
    client.close();
  }
});

test('without the test CA the certificate is refused: no silent fallback to plain HTTP', async () => {
  const client = new RegistryClient(registry.host, { env });
  try {
    const started = Date.now();
    await assert.rejects(client.ping(), (e: unknown) => e instanceof RegistryError && e.registryCode === 'UNREACHABLE' && /certificate/i.test(e.message));
    assert.ok(Date.now() - started < 1000, 'a certificate error is not retried');
  } finally {
    client.close();
  }
});
