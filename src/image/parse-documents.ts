import { FormatError } from '../errors.js';
import { MEDIA_TYPES, type Descriptor, type ImageConfig, type ImageIndexManifest, type ImageManifest } from './types.js';

/**
 * Parsing of the JSON documents a source reads (manifest, index, config,
 * descriptors): JSON.parse, then a structural check of the fields we rely
 * on, so a hostile document becomes a FormatError naming the file rather
 * than a TypeError deep in a backend.
 */

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isImageManifestType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest;
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

export function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    throw new FormatError('malformed', `${name}: not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(name: string, what: string): never {
  throw new FormatError('malformed', `${name}: ${what}`);
}

export function checkDescriptor(value: unknown, name: string, where: string): Descriptor {
  if (!isRecord(value)) fail(name, `${where} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) fail(name, `${where}.mediaType is missing or invalid`);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) fail(name, `${where}.digest is missing or invalid`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(name, `${where}.size is missing or invalid`);
  if (value['annotations'] !== undefined) checkStringMap(value['annotations'], name, `${where}.annotations`);
  return value as unknown as Descriptor;
}

function checkStringMap(value: unknown, name: string, where: string): void {
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) fail(name, `${where} is not a map of strings`);
}

function checkDescriptorList(value: unknown, name: string, where: string, limit: number): void {
  if (!Array.isArray(value)) fail(name, `${where} is not an array`);
  if (value.length > limit) throw new FormatError('limit', `${name}: ${where} has ${value.length} entries (limit ${limit})`);
  value.forEach((d, i) => checkDescriptor(d, name, `${where}[${i}]`));
}

/** More layers than any runtime accepts (overlayfs stops near 128; docker at 127). */
const MAX_LAYERS = 1000;
const MAX_INDEX_ENTRIES = 10_000;

export function parseImageManifest(bytes: Uint8Array, name: string): ImageManifest {
  const doc = parseJson(bytes, name);
  if (!isRecord(doc)) fail(name, 'the manifest is not a JSON object');
  if (doc['schemaVersion'] !== 2) fail(name, 'schemaVersion is not 2');
  if (doc['mediaType'] !== undefined && !isImageManifestType(doc['mediaType'] as string)) {
    fail(name, `mediaType ${JSON.stringify(doc['mediaType'])} is not an image manifest`);
  }
  checkDescriptor(doc['config'], name, 'config');
  checkDescriptorList(doc['layers'], name, 'layers', MAX_LAYERS);
  return doc as unknown as ImageManifest;
}

export function parseIndexManifest(bytes: Uint8Array, name: string): ImageIndexManifest {
  const doc = parseJson(bytes, name);
  if (!isRecord(doc)) fail(name, 'the index is not a JSON object');
  if (doc['schemaVersion'] !== 2) fail(name, 'schemaVersion is not 2');
  if (doc['mediaType'] !== undefined && !isIndexType(doc['mediaType'] as string)) {
    fail(name, `mediaType ${JSON.stringify(doc['mediaType'])} is not an image index`);
  }
  checkDescriptorList(doc['manifests'], name, 'manifests', MAX_INDEX_ENTRIES);
  return doc as unknown as ImageIndexManifest;
}

export function parseImageConfig(bytes: Uint8Array, name: string): ImageConfig {
  const doc = parseJson(bytes, name);
  if (!isRecord(doc)) fail(name, 'the config is not a JSON object');
  if (typeof doc['architecture'] !== 'string' || typeof doc['os'] !== 'string') fail(name, 'architecture or os is missing');
  const rootfs = doc['rootfs'];
  if (!isRecord(rootfs) || rootfs['type'] !== 'layers' || !Array.isArray(rootfs['diff_ids'])) fail(name, 'rootfs is missing or not of type "layers"');
  const diffIds = rootfs['diff_ids'] as unknown[];
  if (diffIds.length > MAX_LAYERS) throw new FormatError('limit', `${name}: rootfs.diff_ids has ${diffIds.length} entries (limit ${MAX_LAYERS})`);
  if (diffIds.some((d) => typeof d !== 'string' || !DIGEST.test(d))) fail(name, 'rootfs.diff_ids holds an invalid digest');
  if (doc['config'] !== undefined && !isRecord(doc['config'])) fail(name, 'config is not an object');
  return doc as unknown as ImageConfig;
}
