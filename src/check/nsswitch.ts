import type { InspectReport } from '../analysis/report.js';
import { isGlibcHostLookupEvidence } from '../analysis/nss.js';
import type { RootFS } from '../fs/rootfs.js';
import type { CheckFinding } from './findings.js';

/**
 * /etc/nsswitch.conf for a program that resolves host names. Its absence
 * never stops the program, so it is never an error; what it changes is the
 * order of /etc/hosts and DNS:
 * - glibc (a dynamic binary calling getaddrinfo, or Go's cgo resolver)
 *   falls back to "hosts: dns [!UNAVAIL=return] files": DNS is asked first
 *   and an answer from it (even NXDOMAIN) hides /etc/hosts: a warning;
 * - Go's own resolver before go1.16 did the same (golang/go#35305): a warning;
 * - Go's resolver from go1.16 on reads /etc/hosts first without the file
 *   (CL 238629), the order a usual "hosts: files dns" gives: no finding,
 *   since the program behaves exactly as with the file, and every Go server
 *   in a scratch image would otherwise carry a note asking nothing of anyone.
 */

const PATH = '/etc/nsswitch.conf';
const FIX = 'add /etc/nsswitch.conf with "hosts: files dns" (fromscratch build writes it with /etc/hosts)';

export async function nsswitchFindings(fs: RootFS, report: InspectReport): Promise<CheckFinding[]> {
  if ((await fs.stat(PATH))?.kind === 'file') return [];
  const need = report.needs.find((n) => n.id === 'nsswitch');
  const viaGlibc = need?.evidence.some(isGlibcHostLookupEvidence) ?? false;
  // The Go need is only raised for Go before 1.16 (src/knowledge/runtime-needs.ts); its evidence names Go functions.
  const oldGo = need?.evidence.some((e) => e.startsWith('net.')) ?? false;
  if (!viaGlibc && !oldGo) return [];
  const who = viaGlibc ? 'glibc' : `${report.go?.version ?? 'Go'} (before go1.16)`;
  return [
    {
      id: 'nsswitch-missing',
      severity: 'warning',
      path: PATH,
      message: `resolves host names through ${viaGlibc ? "libc's NSS" : "Go's resolver"}, and the image has no ${PATH}: ${who} then asks DNS before /etc/hosts, so names in /etc/hosts may resolve differently or slowly`,
      fix: FIX,
    },
  ];
}
