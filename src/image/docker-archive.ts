import { readFileStream, writeFileStream } from '../io/file-streams.js';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FormatError, InputError } from '../errors.js';
import { DigestStream, gunzip, verifyingStream } from '../layer/index.js';
import { extractArchive, normalizeArchivePath, packArchive, resolveMember, type ExtractedArchive } from './archive-io.js';
import { MAX_JSON_BLOB, digestHex, digestStream } from './blob-streams.js';
import { imageFromParts, type LayerInput } from './memory.js';
import type { OpenedArchive } from './oci-archive.js';
import { parseImageConfig, parseJson } from './parse-documents.js';
import type { DockerArchiveReference } from './refs.js';
import { MEDIA_TYPES, type Digest, type Image, type ImageOrIndex } from './types.js';

/**
 * docker-archive: the tar `docker save` writes and `docker load` reads.
 * `manifest.json` lists [{Config, RepoTags, Layers}] with paths inside the
 * archive; the config is stored as is (its digest is the image ID) and each
 * layer as an uncompressed tar named by its diff id, as skopeo writes them,
 * so a layer's digest is its diff id. `repositories` is the legacy tag map
 * older docker versions still read.
 *
 * The source extracts the archive (see archive-io.ts) and hashes each layer
 * file once to name it: an uncompressed tar's digest is its diff id; a
 * gzip-compressed layer (which docker load also accepts) is hashed both as
 * stored and decompressed. The diff ids must match the config's rootfs.
 */

interface DockerManifestEntry {
  readonly Config: string;
  readonly RepoTags: readonly string[] | null;
  readonly Layers: readonly string[];
}

const MAX_ARCHIVE_DEPTH = 3;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

export async function writeDockerArchive(file: string, root: ImageOrIndex, options: { repoTags?: readonly string[] } = {}): Promise<void> {
  if (root.kind !== 'image') {
    throw new InputError('unsupported', `${file}: a docker-archive holds one platform's image, not an index; choose a platform first`);
  }
  const image = root.image;
  const work = await mkdtemp(join(tmpdir(), 'fromscratch-docker-archive-'));
  try {
    const manifest = await image.manifest();
    const rawConfig = await image.rawConfig();
    const configName = `${digestHex(manifest.config.digest, file)}.json`;
    await writeNew(join(work, configName), rawConfig);
    const layerNames: string[] = [];
    for (const layer of await image.layers()) {
      const diffId = await layer.diffId();
      const name = `${digestHex(diffId, file)}.tar`;
      if (!layerNames.includes(name)) await writeUncompressedLayer(join(work, name), await layer.uncompressed(), diffId, file);
      layerNames.push(name);
    }
    const repoTags = options.repoTags ?? [];
    const entries: DockerManifestEntry[] = [{ Config: configName, RepoTags: repoTags, Layers: layerNames }];
    await writeNew(join(work, 'manifest.json'), new TextEncoder().encode(JSON.stringify(entries)));
    const files = ['manifest.json', configName, ...new Set(layerNames)];
    const top = layerNames[layerNames.length - 1];
    if (repoTags.length > 0 && top !== undefined) {
      await writeNew(join(work, 'repositories'), new TextEncoder().encode(JSON.stringify(repositoriesFile(repoTags, top.slice(0, -'.tar'.length)))));
      files.push('repositories');
    }
    files.sort();
    await packArchive(work, files, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** {"repo": {"tag": "<top layer id>"}}: the pre-manifest.json way docker named images. */
function repositoriesFile(repoTags: readonly string[], topLayerId: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const repoTag of repoTags) {
    const colon = repoTag.lastIndexOf(':');
    if (colon <= repoTag.lastIndexOf('/')) continue;
    const repo = repoTag.slice(0, colon);
    out[repo] = { ...out[repo], [repoTag.slice(colon + 1)]: topLayerId };
  }
  return out;
}

async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}

async function writeUncompressedLayer(path: string, tar: NodeJS.ReadableStream, diffId: Digest, file: string): Promise<void> {
  const hasher = new DigestStream();
  await pipeline(tar, hasher, writeFileStream(path, { flags: 'wx', mode: 0o644 }));
  if (hasher.digest() !== diffId) {
    throw new FormatError('malformed', `${file}: a layer's uncompressed content is ${hasher.digest()}, but the config says ${diffId}`);
  }
}

export async function readDockerArchive(file: string, reference?: DockerArchiveReference): Promise<OpenedArchive> {
  const extracted = await extractArchive(file, () => true, MAX_ARCHIVE_DEPTH, { allowSymlinks: true });
  try {
    const image = await loadImage(extracted, file, reference);
    return { root: { kind: 'image', image }, close: extracted.close };
  } catch (e) {
    await extracted.close();
    throw e;
  }
}

async function loadImage(dir: ExtractedArchive, file: string, reference: DockerArchiveReference | undefined): Promise<Image> {
  const entries = parseDockerManifest(await readCapped(dir, 'manifest.json', file), file);
  const entry = selectEntry(entries, reference, file);
  const rawConfig = await readCapped(dir, entry.Config, file);
  const config = parseImageConfig(rawConfig, `${file}: ${entry.Config}`);
  const layers: LayerInput[] = [];
  for (const [i, layerPath] of entry.Layers.entries()) {
    const layer = await describeLayer(dir, layerPath, file);
    const expected = config.rootfs.diff_ids[i];
    if (layer.diffId !== expected) {
      throw new FormatError('malformed', `${file}: layer ${layerPath} has diff id ${layer.diffId}, but the config lists ${expected ?? 'no layer'} at position ${i}`);
    }
    layers.push(layer);
  }
  if (entry.Layers.length !== config.rootfs.diff_ids.length) {
    throw new FormatError('malformed', `${file}: manifest.json lists ${entry.Layers.length} layers but the config ${config.rootfs.diff_ids.length}`);
  }
  return imageFromParts({ config, rawConfig, layers });
}

function parseDockerManifest(bytes: Uint8Array, file: string): DockerManifestEntry[] {
  const doc = parseJson(bytes, `${file}: manifest.json`);
  const bad = (what: string): never => {
    throw new FormatError('malformed', `${file}: manifest.json: ${what}`);
  };
  if (!Array.isArray(doc)) bad('not a JSON array');
  return (doc as unknown[]).map((e, i) => {
    if (typeof e !== 'object' || e === null) return bad(`entry ${i} is not an object`);
    const { Config, RepoTags, Layers } = e as Record<string, unknown>;
    if (typeof Config !== 'string') bad(`entry ${i} has no Config`);
    if (RepoTags !== null && RepoTags !== undefined && (!Array.isArray(RepoTags) || RepoTags.some((t) => typeof t !== 'string'))) bad(`entry ${i}: RepoTags is not a list of names`);
    if (!Array.isArray(Layers) || Layers.some((l) => typeof l !== 'string')) bad(`entry ${i}: Layers is not a list of paths`);
    return { Config, RepoTags: (RepoTags as string[] | null | undefined) ?? null, Layers } as DockerManifestEntry;
  });
}

function selectEntry(entries: DockerManifestEntry[], reference: DockerArchiveReference | undefined, file: string): DockerManifestEntry {
  const names = entries.flatMap((e) => e.RepoTags ?? []);
  if (reference === undefined) {
    const only = entries[0];
    if (entries.length === 1 && only !== undefined) return only;
    throw new InputError('not-found', `${file}: holds ${entries.length} images; name one with :REPO:TAG or :@N (names: ${names.join(', ') || 'none'})`);
  }
  if (reference.kind === 'index') {
    const found = entries[reference.index];
    if (found === undefined) throw new InputError('not-found', `${file}: no image @${reference.index} (the archive holds ${entries.length})`);
    return found;
  }
  const found = entries.find((e) => (e.RepoTags ?? []).includes(reference.name));
  if (found === undefined) throw new InputError('not-found', `${file}: no image named ${reference.name} (names: ${names.join(', ') || 'none'})`);
  return found;
}

/** The path of a file named inside the archive, after checking it stays inside. */
function memberPath(archive: ExtractedArchive, name: string, file: string): string {
  const normalized = normalizeArchivePath(name);
  if (normalized === null || normalized === '') throw new FormatError('malformed', `${file}: manifest.json names ${JSON.stringify(name.slice(0, 200))}, not a path inside the archive`);
  const resolved = resolveMember(archive, normalized);
  if (resolved === null) throw new FormatError('malformed', `${file}: ${normalized} is a loop of links`);
  return join(archive.dir, resolved);
}

async function readCapped(dir: ExtractedArchive, name: string, file: string): Promise<Uint8Array> {
  const path = memberPath(dir, name, file);
  const st = await stat(path).catch(() => undefined);
  if (st === undefined || !st.isFile()) throw new FormatError('malformed', `${file}: ${name} is missing from the archive`);
  if (st.size > MAX_JSON_BLOB) throw new FormatError('limit', `${file}: ${name} is ${st.size} bytes, larger than ${MAX_JSON_BLOB}`);
  const handle = await open(path, 'r');
  try {
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

async function describeLayer(dir: ExtractedArchive, name: string, file: string): Promise<LayerInput> {
  const path = memberPath(dir, name, file);
  const st = await stat(path).catch(() => undefined);
  if (st === undefined || !st.isFile()) throw new FormatError('malformed', `${file}: layer ${name} is missing from the archive`);
  const head = await readHead(path);
  const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const where = `${file}: layer ${name}`;
  const stored = await digestStream(readFileStream(path));
  const diffId = gzipped ? (await digestStream(gunzip(readFileStream(path), { name: where }))).digest : stored.digest;
  const descriptor = { mediaType: gzipped ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer, digest: stored.digest, size: stored.size };
  const openStored = async () => verifyingStream(readFileStream(path), descriptor, where);
  return {
    descriptor,
    diffId,
    open: openStored,
    uncompressed: async () => (gzipped ? gunzip(await openStored(), { name: where }) : openStored()),
  };
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return new Uint8Array(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
