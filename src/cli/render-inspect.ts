import type { Finding, InspectReport, LibraryNode } from '../analysis/report.js';
import { formatGoVersionM } from '../golang/index.js';
import type { Style } from './style.js';

/**
 * Human text for one inspect report: the verdict line first (what it is and
 * whether it runs FROM scratch), then the details a person would otherwise
 * collect from file, ldd/lddtree and go version -m.
 */
export function renderInspectText(report: InspectReport, style: Style): string {
  const lines: string[] = [verdictLine(report, style)];
  if (report.error !== null || report.format === 'unknown') return lines.join('\n') + '\n';
  if (report.format === 'go-source') {
    renderSourceDetails(report, lines, style);
    return lines.join('\n') + '\n';
  }

  const field = (name: string, value: string): void => {
    lines.push(`  ${style.dim(name.padEnd(12))}${value}`);
  };
  field('format', `${report.format.toUpperCase()} ${report.bits}-bit ${report.endian === 'little' ? 'LSB' : 'MSB'} ${report.type}, ${report.os}/${report.arch}`);
  if (report.linkage !== null) field('linkage', report.linkage);
  if (report.interpreter !== null) field('interpreter', report.interpreter);
  if (report.soname !== null) field('soname', report.soname);
  if (report.needed.length > 0) field('needed', report.needed.join(', '));
  if (report.rpath.length > 0) field('rpath', report.rpath.join(':'));
  if (report.runpath.length > 0) field('runpath', report.runpath.join(':'));
  field('stripped', report.stripped ? 'yes' : 'no');

  if (report.libraryTree.length > 0 || report.interpreter !== null) {
    lines.push(`  ${style.dim('libraries')}`);
    if (report.interpreter !== null) {
      const missing = report.findings.some((f) => f.id === 'interpreter-missing');
      lines.push(`    ${report.interpreter} ${missing ? style.red('(interpreter, not found)') : style.dim('(interpreter)')}`);
    }
    renderTree(report.libraryTree, '    ', lines, style);
  }

  if (report.go !== null) {
    const go = report.go;
    lines.push(`  ${style.dim('go'.padEnd(12))}${go.version} ${style.dim(`(from ${go.versionSource})`)}`);
    if (go.versionSource === 'buildinfo') {
      const body = formatGoVersionM(report.path, go).split('\n').slice(1).filter((l) => l.trim() !== '');
      for (const l of body) lines.push(`    ${l.replace(/^\t/, '').replace(/\t/g, '  ').trimEnd()}`);
    }
    if (go.packages !== null) {
      const thirdParty = go.packages.filter((p) => p.split('/')[0]?.includes('.'));
      lines.push(`    packages  ${go.packages.length} compiled in, ${thirdParty.length} outside the standard library${thirdParty.length > 0 ? `: ${thirdParty.slice(0, 5).join(', ')}${thirdParty.length > 5 ? ', ...' : ''}` : ''}`);
    }
    if (go.cgo?.used) lines.push(`    cgo       C is called by ${go.cgo.packages.join(', ')}`);
  }

  renderNeedsFindingsBase(report, lines, style);
  return lines.join('\n') + '\n';
}

/** A Go source directory: what go list says the program will be. */
function renderSourceDetails(report: InspectReport, lines: string[], style: Style): void {
  const go = report.go;
  if (go !== null) {
    const packages = go.packages ?? [];
    const thirdParty = packages.filter((p) => p.split('/')[0]?.includes('.'));
    lines.push(`  ${style.dim('packages'.padEnd(12))}${packages.length}, ${thirdParty.length} outside the standard library`);
    if (go.cgo !== null && go.cgo.packages.length > 0) {
      lines.push(`  ${style.dim('cgo files'.padEnd(12))}${go.cgo.packages.join(', ')}`);
    }
  }
  renderNeedsFindingsBase(report, lines, style);
}

function renderNeedsFindingsBase(report: InspectReport, lines: string[], style: Style): void {
  if (report.needs.length > 0) {
    lines.push(`  ${style.dim('needs')}`);
    for (const need of report.needs) {
      const shown = need.evidence.slice(0, 3).join(', ') + (need.evidence.length > 3 ? `, +${need.evidence.length - 3} more` : '');
      lines.push(`    ${need.id.padEnd(16)}${need.paths.slice(0, 2).join(', ')}${need.paths.length > 2 ? ', ...' : ''}`);
      if (shown !== '') lines.push(`    ${''.padEnd(16)}${style.dim(`because: ${shown}`)}`);
    }
  }

  if (report.findings.length > 0) {
    lines.push(`  ${style.dim('findings')}`);
    for (const f of report.findings) lines.push(...renderFinding(f, style));
  }
  const rec = report.recommendation;
  if (rec !== null) {
    const base = rec.base === null ? style.red('no Linux image') : style.bold(`FROM ${rec.base}`);
    lines.push(`  ${style.dim('base'.padEnd(12))}${base}${rec.files.length > 0 ? ` + ${rec.files.length} file${rec.files.length === 1 ? '' : 's'}` : ''}`);
    lines.push(`    ${rec.reason}`);
    for (const f of rec.files) lines.push(`    + ${f}`);
  }
}

function verdictLine(report: InspectReport, style: Style): string {
  const name = style.bold(report.path);
  if (report.error !== null) return `${name}: ${style.red('error')}: ${report.error.message}`;
  if (report.format === 'unknown') return `${name}: not an executable (no ELF, Mach-O or PE header)`;
  if (report.format === 'go-source') {
    const culprits = report.go?.cgo?.culprits ?? [];
    const verdict =
      culprits.length === 0
        ? style.green('builds static with CGO_ENABLED=0 and runs FROM scratch')
        : style.yellow(`needs cgo for ${culprits.map((c) => c.package).join(', ')}`);
    return `${name}: Go source, main package ${report.go?.path ?? '?'} (${report.go?.version || 'no go line'}) — ${verdict}`;
  }
  const parts: string[] = [`${report.os}/${report.arch} ${report.format.toUpperCase()} ${report.type}`];
  if (report.linkage !== null) parts.push(`${report.linkage === 'static-pie' ? 'static-pie' : report.linkage === 'static' ? 'statically' : 'dynamically'} linked`);
  if (report.go !== null) parts.push(`Go ${report.go.version}`);
  const errors = report.findings.filter((f) => f.severity === 'error');
  let verdict: string;
  if (report.recommendation?.base === 'scratch' && report.recommendation.files.length === 0 && errors.length === 0) {
    verdict = style.green('runs FROM scratch');
  } else if (errors.length > 0) {
    verdict = style.red(`will not run as is: ${errors[0]?.id}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`);
  } else if (report.recommendation?.base === 'scratch') {
    const n = report.recommendation.files.length;
    const what = report.needs.filter((x) => x.paths.length > 0).map((x) => x.id);
    verdict = style.yellow(`runs FROM scratch with ${n} file${n === 1 ? '' : 's'} added (${what.join(', ')})`);
  } else {
    verdict = style.yellow(report.recommendation?.reason ?? 'see findings');
  }
  return `${name}: ${parts.join(', ')} — ${verdict}`;
}

function renderTree(nodes: readonly LibraryNode[], indent: string, lines: string[], style: Style): void {
  for (const node of nodes) {
    const where = node.path === null ? style.red('not found') : node.path;
    lines.push(`${indent}${node.name} => ${where}`);
    if (!node.repeated) renderTree(node.children, indent + '  ', lines, style);
  }
}

function renderFinding(f: Finding, style: Style): string[] {
  const sev = f.severity === 'error' ? style.red('error  ') : f.severity === 'warning' ? style.yellow('warning') : style.cyan('info   ');
  const out = [`    ${sev} ${f.id}: ${f.message}`];
  if (f.fix !== null) out.push(`            ${style.dim('fix:')} ${f.fix}`);
  return out;
}
