import type { GoNeed } from '../analysis/needs.js';
import type { RootFS } from '../fs/rootfs.js';
import type { ContainerConfig } from '../image/types.js';
import { envValue } from './entrypoint.js';
import type { CheckFinding } from './findings.js';

/**
 * A Go program's run-time needs (from the same analysis `inspect` runs)
 * checked against the files of the image it will run in: the CA bundle,
 * zoneinfo and /tmp, each satisfied by one of its usual paths or by the
 * environment variable that points Go elsewhere.
 */

const FINDING_OF: Partial<Record<GoNeed['id'], string>> = {
  'ca-certificates': 'ca-certificates-missing',
  tzdata: 'tzdata-missing',
  tmp: 'tmp-missing',
};

/** Variables whose value is a path (or a PATH-like list) that replaces the need's files. */
const PATH_VARIABLES: Readonly<Record<string, 'file' | 'list'>> = {
  SSL_CERT_FILE: 'file',
  SSL_CERT_DIR: 'list',
  ZONEINFO: 'file',
  TMPDIR: 'file',
};

async function exists(fs: RootFS, path: string, kind?: 'dir'): Promise<boolean> {
  const info = await fs.stat(path);
  return info !== undefined && (kind === undefined || info.kind === kind);
}

/** The variable set in the image's Env that satisfies the need, if its target exists. */
async function satisfiedByEnv(fs: RootFS, need: GoNeed, config: ContainerConfig | undefined): Promise<string | undefined> {
  for (const variable of need.env) {
    const form = PATH_VARIABLES[variable];
    const value = envValue(config, variable);
    if (form === undefined || value === undefined || value === '') continue;
    const paths = form === 'list' ? value.split(':').filter((p) => p !== '') : [value];
    for (const path of paths) if (await exists(fs, path)) return `${variable}=${value}`;
  }
  return undefined;
}

export async function goNeedFindings(fs: RootFS, needs: readonly GoNeed[], config: ContainerConfig | undefined): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  for (const need of needs) {
    const id = FINDING_OF[need.id];
    if (id === undefined || need.paths.length === 0) continue;
    if ((await satisfiedByEnv(fs, need, config)) !== undefined) continue;
    const wantDir = need.id === 'tmp' ? 'dir' : undefined;
    const present = await Promise.all(need.paths.map((p) => exists(fs, p, wantDir)));
    const ok = need.match === 'any' ? present.some(Boolean) : present.every(Boolean);
    if (ok) continue;
    const missing = need.paths.filter((_, i) => !present[i]);
    findings.push({
      id,
      path: missing[0] ?? null,
      // Certain needs fail at run time; likely/possible ones may never be reached.
      severity: need.certainty === 'certain' ? 'error' : 'warning',
      message: `${need.reason}, but ${need.match === 'any' ? 'none of' : 'the image lacks'} ${missing.join(', ')}${need.match === 'any' ? ' is in the image' : ''}${
        need.env.length > 0 ? ` (and ${need.env.join('/')} does not point elsewhere)` : ''
      }`,
      fix: need.fix,
    });
  }
  return findings;
}

/** Whether the config's User names a user (and group) that the image's /etc/passwd (and /etc/group) define. */
export async function userFindings(fs: RootFS, config: ContainerConfig | undefined): Promise<CheckFinding[]> {
  const user = config?.User ?? '';
  if (user === '') return [];
  const [userPart = '', groupPart] = user.split(':', 2);
  const findings: CheckFinding[] = [];
  const check = async (name: string, file: string, what: string): Promise<void> => {
    if (name === '' || /^\d+$/.test(name)) return; // numeric ids need no database
    const text = await fs.readSmallFile(file).catch(() => undefined);
    const names = new Set(
      text === undefined ? [] : new TextDecoder().decode(text).split('\n').map((line) => line.split(':', 1)[0] ?? ''),
    );
    if (names.has(name)) return;
    findings.push({
      id: 'user-unknown',
      path: file,
      severity: 'error',
      message: `the config's User ${JSON.stringify(user)} names ${what} ${name}, which ${file} ${text === undefined ? 'does not exist to define' : 'does not define'}: the runtime refuses to start`,
      fix: `use a numeric uid:gid (for example --user 65532:65532), or add ${name} to ${file}`,
    });
  };
  await check(userPart, '/etc/passwd', 'user');
  if (groupPart !== undefined) await check(groupPart, '/etc/group', 'group');
  return findings;
}
