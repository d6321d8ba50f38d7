import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { RegistryError } from '../errors.js';
import { run } from '../testing/process.js';
import { startTokenServer, syntheticImage, type TokenServer } from '../testing/registry-fixtures.js';
import { makeTestPki, startRegistry, type RegistryServer, type TestPki } from '../testing/registry-server.js';
import { RegistryClient } from './client.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';

/**
 * Bearer token auth against the real registry: it trusts tokens signed by a
 * test issuer we run on loopback; the client follows the challenge, fetches
 * tokens (anonymously or with Basic credentials) and caches them per scope.
 */

const SERVICE = 'fromscratch-test-registry';
const ISSUER = 'fromscratch-test-issuer';
const USER = 'pusher';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

let pki: TestPki;
let tokens: TokenServer;
let registry: RegistryServer;

before(async () => {
  pki = await makeTestPki();
  tokens = await startTokenServer({ keyFile: pki.tokenKeyFile, certFile: pki.tokenCertFile, issuer: ISSUER, service: SERVICE, users: { [USER]: PASSWORD } });
  registry = await startRegistry({ token: { realm: tokens.realm, service: SERVICE, issuer: ISSUER, rootCertBundle: pki.tokenCertFile } });
});

after(async () => {
  await registry?.stop();
  await tokens?.stop();
  await pki?.remove();
});

test('push with credentials through token auth; tokens are fetched once per scope, not per request', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(2000), cmd: ['/token'] });
  const digest = (await image.descriptor()).digest;
  const before = tokens.requests.length;
  const client = new RegistryClient(registry.host, { credentials: { username: USER, password: PASSWORD } });
  try {
    const pushed = await pushImage(`${registry.host}/tok/app:1`, image, { client });
    assert.equal(pushed.descriptor.digest, digest);
    const issued = tokens.requests.slice(before);
    assert.ok(issued.length >= 1 && issued.length <= 3, `token requests: ${JSON.stringify(issued)}`);
    assert.ok(issued.every((r) => r.account === USER));
    assert.ok(issued.some((r) => r.scopes.includes('repository:tok/app:pull,push')));

    // skopeo, logging in the same way, sees the same digest.
    const inspect = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, `docker://${registry.host}/tok/app:1`]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, digest);
  } finally {
    client.close();
  }
});

test('anonymous tokens allow pulling but not pushing (DENIED or UNAUTHORIZED, typed)', async () => {
  const image = syntheticImage({ layerBytes: randomBytes(2000), cmd: ['/anon'] });
  await pushImage(`${registry.host}/tok/public:1`, image, { credentials: { username: USER, password: PASSWORD } });
  const anonymous = { env: { HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' } };
  const pulled = await pullImage(`${registry.host}/tok/public:1`, anonymous);
  assert.equal(pulled.kind, 'image');
  if (pulled.kind === 'image') assert.equal((await pulled.image.descriptor()).digest, (await image.descriptor()).digest);

  const other = syntheticImage({ layerBytes: randomBytes(2000), cmd: ['/denied'] });
  await assert.rejects(pushImage(`${registry.host}/tok/public:2`, other, anonymous), (e: unknown) => {
    assert.ok(e instanceof RegistryError);
    assert.ok(['DENIED', 'UNAUTHORIZED'].includes(e.registryCode), e.registryCode);
    return true;
  });
  // Nothing was tagged by the failed push.
  const client = new RegistryClient(registry.host, anonymous);
  try {
    assert.deepEqual(await client.listTags('tok/public'), ['1']);
  } finally {
    client.close();
  }
});
