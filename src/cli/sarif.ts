import type { Severity } from '../analysis/report.js';
import { CHECK_FINDING_IDS, type CheckFinding } from '../check/findings.js';
import type { CheckResult } from './check-run.js';

/**
 * `check --sarif`: the findings as one SARIF 2.1.0 log (OASIS), the format
 * code-scanning services take from CI. One run; the driver lists a rule for
 * every finding id the results use; each result names the image, the
 * platform and the path inside the image, as a logical location and, when
 * the finding has a path, as an artifact location relative to the image's
 * root (uriBaseId IMAGEROOT), since a finding about a file in an image has
 * no file in the repository to point at.
 */

const SARIF_VERSION = '2.1.0';
const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const IMAGE_ROOT_BASE = 'IMAGEROOT';

/** SARIF's levels are none/note/warning/error; our info is its note. */
const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { error: 'error', warning: 'warning', info: 'note' };


interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: 'error' | 'warning' | 'note' };
}

/** "EntrypointMissing" from "entrypoint-missing": SARIF suggests a rule name that reads as an identifier. */
function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __: string, c: string) => c.toUpperCase());
}

/** A path inside the image as a relative URI reference (each segment percent-encoded). */
export function imagePathUri(path: string): string {
  return path.split('/').filter((p) => p !== '').map(encodeURIComponent).join('/');
}

function location(image: string, platform: string, finding: CheckFinding): object {
  const logical = {
    name: finding.path ?? 'config',
    fullyQualifiedName: `${image} ${platform} ${finding.path ?? '(image config)'}`,
    kind: finding.path === null ? 'object' : 'resource',
  };
  return {
    ...(finding.path !== null && imagePathUri(finding.path) !== ''
      ? { physicalLocation: { artifactLocation: { uri: imagePathUri(finding.path), uriBaseId: IMAGE_ROOT_BASE } } }
      : {}),
    logicalLocations: [logical],
  };
}

export function checkSarif(result: CheckResult): object {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: object[] = [];
  for (const p of result.platforms) {
    for (const f of p.findings) {
      let index = ruleIndex.get(f.id);
      if (index === undefined) {
        index = rules.length;
        ruleIndex.set(f.id, index);
        rules.push({ id: f.id, name: ruleName(f.id), shortDescription: { text: CHECK_FINDING_IDS[f.id] ?? `fromscratch check finding ${f.id}.` }, defaultConfiguration: { level: SARIF_LEVEL[f.severity] } });
      }
      results.push({
        ruleId: f.id,
        ruleIndex: index,
        level: SARIF_LEVEL[f.severity],
        message: { text: `${result.image} (${p.platform}): ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}` },
        locations: [location(result.image, p.platform, f)],
        properties: { image: result.image, platform: p.platform, ...(f.path !== null ? { path: f.path } : {}), ...(f.fix ? { fix: f.fix } : {}) },
      });
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver: { name: 'fromscratch', rules } },
        originalUriBaseIds: { [IMAGE_ROOT_BASE]: { description: { text: `the root file system of ${result.image}` } } },
        results,
        properties: { image: result.image, platforms: result.platforms.map((p) => ({ platform: p.platform, ok: p.ok })) },
      },
    ],
  };
}
