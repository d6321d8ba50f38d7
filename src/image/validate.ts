import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import { parseJson } from './parse-documents.js';
import { MEDIA_TYPES } from './types.js';

/**
 * Conformance checking of the JSON we write, against the OCI image-spec
 * JSON schemas kept beside the repository (shared/reference/
 * oci-image-spec-schema). A test concern: ajv is a devDependency, and
 * nothing outside tests imports this file.
 *
 * The schemas are draft-04 and refer to each other by relative file name
 * ("defs-descriptor.json#/definitions/digest") while also declaring nested
 * "id"s that would move the base URI of those references; we drop the ids
 * and register every file under one base, so every reference resolves to
 * the file it names.
 */

export type OciDocumentKind = 'manifest' | 'index' | 'config' | 'layout' | 'descriptor';

const SCHEMA_FILES: Record<OciDocumentKind, string> = {
  manifest: 'image-manifest-schema.json',
  index: 'image-index-schema.json',
  config: 'config-schema.json',
  layout: 'image-layout-schema.json',
  descriptor: 'content-descriptor.json',
};

const BASE = 'https://opencontainers.org/schema/image/';

/** The schema directory: ../shared/reference/oci-image-spec-schema relative to the repository root. */
export function schemaDirectory(): string {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  return join(repoRoot, '..', 'shared', 'reference', 'oci-image-spec-schema');
}

let validators: Map<OciDocumentKind, ValidateFunction> | undefined;

function loadValidators(): Map<OciDocumentKind, ValidateFunction> {
  if (validators !== undefined) return validators;
  const dir = schemaDirectory();
  if (!existsSync(dir)) throw new Error(`OCI JSON schemas not found at ${dir} (expected shared/reference/oci-image-spec-schema beside the repository)`);
  // ajv-draft-04 is CommonJS: under NodeNext its default import is the module, whose .default is the class.
  const ajv = new AjvModule.default({ strict: false, allErrors: true });
  // RFC 3339 date-time and a URI scheme: all the schemas ask of "format".
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/);
  ajv.addFormat('uri', /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    ajv.addSchema(withoutIds(JSON.parse(readFileSync(join(dir, file), 'utf8'))) as object, BASE + file);
  }
  validators = new Map();
  for (const [kind, file] of Object.entries(SCHEMA_FILES) as [OciDocumentKind, string][]) {
    const validate = ajv.getSchema(BASE + file);
    if (validate === undefined) throw new Error(`OCI JSON schema ${file} is missing from ${dir}`);
    validators.set(kind, validate);
  }
  return validators;
}

function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (key === 'id' && typeof member === 'string') continue;
      out[key] = withoutIds(member);
    }
    return out;
  }
  return value;
}

/** Schema violations of `doc` as one-line strings; empty when valid. */
export function validateOciDocument(kind: OciDocumentKind, doc: unknown): string[] {
  const validate = loadValidators().get(kind);
  if (validate === undefined) throw new Error(`no schema for ${kind}`);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${kind}${e.instancePath}: ${e.message ?? e.keyword}`);
}

export function assertValidOciDocument(kind: OciDocumentKind, doc: unknown, where: string): void {
  const errors = validateOciDocument(kind, doc);
  if (errors.length > 0) throw new Error(`${where} does not conform to the OCI schema: ${errors.join('; ')}`);
}

/**
 * Validates a whole layout directory: oci-layout, index.json, and every
 * manifest, index and config reachable from it. Returns how many documents
 * were checked, so a test can tell it walked something.
 */
export function assertValidOciLayout(dir: string): number {
  const read = (path: string, name: string): unknown => parseJson(new Uint8Array(readFileSync(path)), name);
  assertValidOciDocument('layout', read(join(dir, 'oci-layout'), 'oci-layout'), `${dir}/oci-layout`);
  const index = read(join(dir, 'index.json'), 'index.json');
  assertValidOciDocument('index', index, `${dir}/index.json`);
  let checked = 2;
  const blob = (digest: string): unknown => read(join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), digest);
  const walk = (descriptors: readonly { mediaType: string; digest: string }[], depth: number): void => {
    if (depth > 8) throw new Error(`${dir}: indexes nest too deep`);
    for (const d of descriptors) {
      assertValidOciDocument('descriptor', d, `${dir}: descriptor ${d.digest}`);
      const doc = blob(d.digest) as { config?: { digest: string }; manifests?: { mediaType: string; digest: string }[] };
      checked++;
      if (d.mediaType === MEDIA_TYPES.ociIndex) {
        assertValidOciDocument('index', doc, `${dir}: index ${d.digest}`);
        walk(doc.manifests ?? [], depth + 1);
      } else if (d.mediaType === MEDIA_TYPES.ociManifest) {
        assertValidOciDocument('manifest', doc, `${dir}: manifest ${d.digest}`);
        const configDigest = doc.config?.digest ?? '';
        assertValidOciDocument('config', blob(configDigest), `${dir}: config ${configDigest}`);
        checked++;
      }
    }
  };
  walk((index as { manifests: { mediaType: string; digest: string }[] }).manifests, 0);
  return checked;
}
