import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { CheckedPlatform } from '../check/check-image.js';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { checkSarif, imagePathUri } from './sarif.js';
import { BIN } from '../testing/cli.js';

/**
 * `check --sarif`: the log holds what the SARIF 2.1.0 schema requires
 * (checked field by field below, from the OASIS schema's "required" lists
 * and enums), levels map from our severities, and the exit code still
 * follows --fail-on.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-sarif-'));
after(() => rm(work, { recursive: true, force: true }));
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const LEVELS = ['none', 'note', 'warning', 'error'];

/**
 * The schema's constraints on what this log uses: sarifLog needs version
 * "2.1.0" and runs; run needs tool; tool needs driver; toolComponent needs
 * name; reportingDescriptor needs id; a multiformatMessageString needs text;
 * result needs message (with text or id); level is one of none/note/warning/
 * error; ruleIndex is an integer >= -1 and, by §3.27.6, the rule there has
 * the result's ruleId; artifactLocation.uri is a URI reference, and its
 * uriBaseId should be defined in run.originalUriBaseIds (§3.4.4).
 */
function sarifProblems(log: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  if (!isObject(log)) return ['log is not an object'];
  need(log.version === '2.1.0', 'version must be "2.1.0"');
  if (!Array.isArray(log.runs)) return [...problems, 'runs must be an array'];
  log.runs.forEach((runValue: unknown, r) => {
    if (!isObject(runValue)) return problems.push(`runs[${r}] is not an object`);
    const driver = isObject(runValue.tool) ? runValue.tool.driver : undefined;
    if (!isObject(driver)) return problems.push(`runs[${r}].tool.driver is required`);
    need(typeof driver.name === 'string' && driver.name !== '', `runs[${r}].tool.driver.name is required`);
    const rules = Array.isArray(driver.rules) ? driver.rules : [];
    rules.forEach((rule: unknown, i) => {
      need(isObject(rule) && typeof rule.id === 'string', `rules[${i}].id is required`);
      if (isObject(rule) && rule.shortDescription !== undefined) need(isObject(rule.shortDescription) && typeof rule.shortDescription.text === 'string', `rules[${i}].shortDescription.text is required`);
      if (isObject(rule) && isObject(rule.defaultConfiguration)) need(LEVELS.includes(rule.defaultConfiguration.level as string), `rules[${i}].defaultConfiguration.level is not a level`);
    });
    const bases = isObject(runValue.originalUriBaseIds) ? runValue.originalUriBaseIds : {};
    const results = runValue.results ?? [];
    if (!Array.isArray(results)) return problems.push(`runs[${r}].results must be an array`);
    results.forEach((res: unknown, i) => {
      const where = `runs[${r}].results[${i}]`;
      if (!isObject(res)) return problems.push(`${where} is not an object`);
      need(isObject(res.message) && (typeof res.message.text === 'string' || typeof res.message.id === 'string'), `${where}.message needs text or id`);
      if (res.level !== undefined) need(LEVELS.includes(res.level as string), `${where}.level ${String(res.level)} is not a SARIF level`);
      if (res.ruleIndex !== undefined) {
        need(Number.isInteger(res.ruleIndex) && (res.ruleIndex as number) >= -1, `${where}.ruleIndex must be an integer >= -1`);
        const rule = rules[res.ruleIndex as number] as unknown;
        need(isObject(rule) && rule.id === res.ruleId, `${where}.ruleIndex does not point at rule ${String(res.ruleId)}`);
      }
      for (const loc of Array.isArray(res.locations) ? res.locations : []) {
        const artifact = isObject(loc) && isObject(loc.physicalLocation) ? loc.physicalLocation.artifactLocation : undefined;
        if (!isObject(artifact)) continue;
        need(typeof artifact.uri === 'string' && !/[\s\\]/.test(artifact.uri) && !artifact.uri.startsWith('/'), `${where} artifact uri ${String(artifact.uri)} is not a relative URI reference`);
        if (artifact.uriBaseId !== undefined) need(typeof artifact.uriBaseId === 'string' && artifact.uriBaseId in bases, `${where} uriBaseId ${String(artifact.uriBaseId)} is not in originalUriBaseIds`);
      }
    });
    return undefined;
  });
  return problems;
}

const platform = (name: string, findings: CheckedPlatform['findings']): CheckedPlatform => ({
  platform: name,
  entrypoint: { argv: ['/app/server'], path: '/app/server' },
  ok: !findings.some((f) => f.severity === 'error'),
  findings,
});

test('the SARIF log has every required field, one rule per finding id, and our severities as SARIF levels', () => {
  const log = checkSarif({
    image: 'oci:out:v1',
    platforms: [
      platform('linux/amd64', [
        { id: 'library-missing', severity: 'error', message: 'needs libc.so.6', fix: 'add it', path: '/app/server' },
        { id: 'tmp-missing', severity: 'warning', message: 'no /tmp', fix: null, path: '/tmp' },
      ]),
      platform('linux/arm64', [
        { id: 'library-missing', severity: 'error', message: 'needs libm.so.6', fix: null, path: '/app/server' },
        { id: 'nsswitch-missing', severity: 'info', message: 'no nsswitch.conf', fix: null, path: '/etc/nsswitch.conf' },
        { id: 'entrypoint-missing', severity: 'error', message: 'no command', fix: null, path: null },
      ]),
    ],
  });
  assert.deepEqual(sarifProblems(log), []);
  const parsed = JSON.parse(JSON.stringify(log)) as { runs: [{ tool: { driver: { rules: { id: string }[] } }; results: Json[] }] };
  const [only] = parsed.runs;
  assert.equal(parsed.runs.length, 1);
  assert.deepEqual(only.tool.driver.rules.map((r) => r.id), ['library-missing', 'tmp-missing', 'nsswitch-missing', 'entrypoint-missing']);
  assert.deepEqual(only.results.map((r) => [r.ruleId, r.level]), [
    ['library-missing', 'error'],
    ['tmp-missing', 'warning'],
    ['library-missing', 'error'],
    ['nsswitch-missing', 'note'],
    ['entrypoint-missing', 'error'],
  ]);
  const first = JSON.stringify(only.results[0]);
  assert.match(first, /"uri":"app\/server"/);
  assert.match(first, /oci:out:v1 linux\/amd64 \/app\/server/);
  // A finding about the config has a logical location only.
  assert.doesNotMatch(JSON.stringify(only.results[4]), /physicalLocation/);
  assert.match(JSON.stringify(only.results[4]), /\(image config\)/);
});

test('the structural check itself rejects what the schema forbids', () => {
  const good = checkSarif({ image: 'i', platforms: [platform('linux/amd64', [{ id: 'tmp-missing', severity: 'warning', message: 'm', fix: null, path: '/tmp' }])] }) as Json;
  const broken = JSON.parse(JSON.stringify(good)) as { version: string; runs: [{ results: Json[]; tool: { driver: Json } }] };
  broken.version = '2.0.0';
  const result = broken.runs[0].results[0] as Json;
  result.level = 'info';
  result.ruleIndex = 3;
  delete result.message;
  delete broken.runs[0].tool.driver.name;
  const problems = sarifProblems(broken);
  for (const p of [/version/, /level info/, /ruleIndex does not point/, /message needs/, /driver\.name/]) assert.ok(problems.some((x) => p.test(x)), `${p} in ${problems.join('; ')}`);
});

test('image paths become relative URI references', () => {
  assert.equal(imagePathUri('/usr/lib/x86_64-linux-gnu/libc.so.6'), 'usr/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(imagePathUri('/opt/my app/#1'), 'opt/my%20app/%231');
});

test('check --sarif on a real image: a valid log, and the exit code follows --fail-on', async () => {
  const layout = join(work, 'https');
  const built = await cli('build', fixture('go-https-client'), '--ca-source', 'none', '-o', `oci:${layout}:v1`);
  assert.equal(built.code, 0, built.stderr);
  const failing = await cli('check', '--sarif', `oci:${layout}:v1`);
  assert.equal(failing.code, 1, failing.stderr);
  const log = JSON.parse(failing.stdout) as { runs: [{ results: { ruleId: string; level: string; locations: unknown[] }[] }] };
  assert.deepEqual(sarifProblems(log), []);
  assert.deepEqual(log.runs[0].results.map((r) => [r.ruleId, r.level]), [['ca-certificates-missing', 'error']]);
  assert.match(JSON.stringify(log.runs[0].results[0]?.locations), /"uri":"etc\/ssl\/certs\/ca-certificates\.crt"/);
  assert.equal((await cli('check', '--sarif', '--fail-on', 'none', `oci:${layout}:v1`)).code, 0);

  const goodLayout = join(work, 'static');
  assert.equal((await cli('build', fixture('go-static'), '-o', `oci:${goodLayout}:v1`)).code, 0);
  const good = await cli('check', '--sarif', '--fail-on', 'info', `oci:${goodLayout}:v1`);
  assert.equal(good.code, 0, good.stderr);
  const goodLog = JSON.parse(good.stdout) as { runs: [{ results: unknown[] }] };
  assert.deepEqual(sarifProblems(goodLog), []);
  assert.deepEqual(goodLog.runs[0].results, []);

  const both = await cli('check', '--sarif', '--json', `oci:${layout}:v1`);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--json and --sarif/);
});
