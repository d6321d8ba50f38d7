/**
 * /etc/passwd and /etc/group generated for the image (never copied from the
 * host, whose users mean nothing inside it): root, nobody, and nonroot
 * (65532), the user distroless images run as, so `--user` has names to use.
 */

export const DEFAULT_USER = '65532:65532';

const USERS = [
  { name: 'root', id: 0, home: '/root' },
  { name: 'nobody', id: 65534, home: '/nonexistent' },
  { name: 'nonroot', id: 65532, home: '/home/nonroot' },
] as const;

export function passwdFile(): Uint8Array {
  return new TextEncoder().encode(USERS.map((u) => `${u.name}:x:${u.id}:${u.id}:${u.name}:${u.home}:/sbin/nologin\n`).join(''));
}

export function groupFile(): Uint8Array {
  return new TextEncoder().encode(USERS.map((u) => `${u.name}:x:${u.id}:\n`).join(''));
}

/** `--user`: "uid[:gid]" with numbers, or a name from the generated passwd file (→ its uid:gid). */
export function resolveUser(text: string): string | undefined {
  if (/^\d{1,10}(:\d{1,10})?$/.test(text)) return text;
  const [name, group] = text.split(':');
  const user = USERS.find((u) => u.name === name);
  if (user === undefined) return undefined;
  if (group === undefined) return `${user.id}:${user.id}`;
  const g = /^\d{1,10}$/.test(group) ? Number(group) : USERS.find((u) => u.name === group)?.id;
  return g === undefined ? undefined : `${user.id}:${g}`;
}
