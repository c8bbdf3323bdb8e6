/**
 * The snapshot archive (vault-api.md §5, "Snapshot"): a gzip-compressed tar of four files.
 *
 * | file                 | holds                                                              |
 * |----------------------|--------------------------------------------------------------------|
 * | `meta.json`          | format version, Raft index and term, node id, creation time, size  |
 * | `state.bin`          | every key and value of the replicated store (`encodeState`); the   |
 * |                      | values are barrier ciphertext, exactly as stored                   |
 * | `SHA256SUMS`         | `sha256sum` lines for `meta.json` and `state.bin`                  |
 * | `SHA256SUMS.sealed`  | JSON: HMAC-SHA256 of `SHA256SUMS` under the cluster's snapshot key |
 *
 * The checksums catch damage; the HMAC ties the archive to the cluster that took it. Its key is
 * random, made once per cluster and kept behind the barrier (`Core.snapshotKey`), so only a node
 * unsealed with this cluster's keys can compute or check it, and an altered archive cannot be
 * given new checksums without failing it. Vault seals its checksum file with the seal instead;
 * an HMAC under a barrier-held key gives the same refusal without decrypting with the unseal key,
 * and survives key rotation.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

import { InvalidRequestError } from '../logical/errors.js';
import { MalformedTarError, readTar, writeTar } from './raft-snapshot-tar.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The format `meta.json` declares; a restore refuses any other. */
export const SNAPSHOT_FORMAT_VERSION = 1;

export const META_FILE = 'meta.json';
export const STATE_FILE = 'state.bin';
export const SUMS_FILE = 'SHA256SUMS';
export const SEALED_SUMS_FILE = 'SHA256SUMS.sealed';

/** Room for the tar headers, `meta.json` and the checksum files beside the state. */
const ARCHIVE_OVERHEAD_BYTES = 64 * 1024;
const TAG_ALGORITHM = 'hmac-sha256';

/** What `meta.json` says about a snapshot. */
export interface SnapshotMeta {
  readonly formatVersion: number;
  /** The Raft index and term of the last command in the state. */
  readonly index: number;
  readonly term: number;
  /** The node that took the snapshot. */
  readonly nodeId: string;
  /** When it was taken, ISO 8601. */
  readonly createdAt: string;
  /** The length of `state.bin`. */
  readonly stateBytes: number;
}

/** Why an archive was refused; every reason answers 400. */
export type SnapshotRejection = 'malformed' | 'checksum' | 'too_large' | 'foreign';

/** Thrown when a snapshot archive cannot be restored; the message says why (400). */
export class SnapshotRejectedError extends InvalidRequestError {
  constructor(
    message: string,
    readonly reason: SnapshotRejection,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, { ...fields, reason }, options);
    this.name = 'SnapshotRejectedError';
  }
}

/** An archive whose checksums hold; whether it is this cluster's is {@link hasClusterTag}. */
export interface OpenedSnapshot {
  readonly meta: SnapshotMeta;
  readonly state: Uint8Array;
  /** The bytes of `SHA256SUMS` and the hex tag `SHA256SUMS.sealed` carries. */
  readonly sums: Uint8Array;
  readonly tag: string;
}

/** Packs a snapshot, its checksum file tagged with `key` (the cluster's snapshot key). */
export async function packSnapshot(input: {
  readonly meta: SnapshotMeta;
  readonly state: Uint8Array;
  readonly key: Uint8Array;
}): Promise<Uint8Array> {
  const meta = Buffer.from(`${JSON.stringify(metaJson(input.meta), null, 2)}\n`);
  const sums = Buffer.from(sumsFile([meta, input.state]));
  const sealed = Buffer.from(
    `${JSON.stringify({ version: 1, algorithm: TAG_ALGORITHM, tag: tagOf(input.key, sums) })}\n`,
  );
  const tar = writeTar(
    [
      { name: META_FILE, data: meta },
      { name: STATE_FILE, data: input.state },
      { name: SUMS_FILE, data: sums },
      { name: SEALED_SUMS_FILE, data: sealed },
    ],
    new Date(input.meta.createdAt),
  );
  return gzipAsync(tar);
}

/**
 * Unpacks `archive` and checks its checksums; the cluster tag is left to
 * {@link hasClusterTag}. Inflating stops past `maxStateBytes` (plus room for the other files).
 * @throws SnapshotRejectedError: `malformed` (not a gzip tar of the four files, bad meta),
 *   `too_large` (the state exceeds `maxStateBytes`), `checksum` (a file does not match).
 */
export async function openSnapshot(
  archive: Uint8Array,
  options: { readonly maxStateBytes: number },
): Promise<OpenedSnapshot> {
  const limit = options.maxStateBytes;
  let tar: Buffer;
  try {
    tar = await gunzipAsync(archive, { maxOutputLength: limit + ARCHIVE_OVERHEAD_BYTES });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge(limit, cause);
    }
    const message = 'the snapshot is not a gzip archive';
    throw new SnapshotRejectedError(message, 'malformed', {}, { cause });
  }
  const files = unpackFiles(tar);
  const metaBytes = files.get(META_FILE)!;
  const state = files.get(STATE_FILE)!;
  const sums = files.get(SUMS_FILE)!;
  if (state.byteLength > limit) throw tooLarge(limit);

  const expected = parseSums(sums);
  for (const [name, data] of [
    [META_FILE, metaBytes],
    [STATE_FILE, state],
  ] as const) {
    if (expected.get(name) !== sha256(data)) {
      const message = `the snapshot is corrupt: ${name} fails its checksum`;
      throw new SnapshotRejectedError(message, 'checksum', { file: name });
    }
  }
  const meta = parseMeta(metaBytes);
  if (meta.stateBytes !== state.byteLength) {
    throw new SnapshotRejectedError('the snapshot meta does not match its state', 'malformed');
  }
  return { meta, state, sums, tag: parseTag(files.get(SEALED_SUMS_FILE)!) };
}

/** True when `snapshot`'s checksums carry the tag `key` makes: it is this cluster's. */
export function hasClusterTag(snapshot: OpenedSnapshot, key: Uint8Array | null): boolean {
  if (key === null) return false;
  const expected = Buffer.from(tagOf(key, snapshot.sums), 'hex');
  const given = Buffer.from(snapshot.tag, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function unpackFiles(tar: Buffer): Map<string, Uint8Array> {
  let entries;
  try {
    entries = readTar(tar);
  } catch (cause) {
    if (!(cause instanceof MalformedTarError)) throw cause;
    const message = `the snapshot is not a valid archive: ${cause.message}`;
    throw new SnapshotRejectedError(message, 'malformed', {}, { cause });
  }
  const files = new Map<string, Uint8Array>();
  for (const { name, data } of entries) {
    if (files.has(name)) {
      throw new SnapshotRejectedError(`the snapshot holds ${name} twice`, 'malformed');
    }
    files.set(name, data);
  }
  for (const name of [META_FILE, STATE_FILE, SUMS_FILE, SEALED_SUMS_FILE]) {
    if (!files.has(name)) {
      throw new SnapshotRejectedError(`the snapshot has no ${name}`, 'malformed', { file: name });
    }
  }
  return files;
}

/** `sha256sum` format: the hex digest, two spaces, the file name, a newline. */
function sumsFile(parts: readonly [Uint8Array, Uint8Array]): string {
  return `${sha256(parts[0])}  ${META_FILE}\n${sha256(parts[1])}  ${STATE_FILE}\n`;
}

function parseSums(bytes: Uint8Array): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
    if (line === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match === null) {
      throw new SnapshotRejectedError(`the snapshot ${SUMS_FILE} is unreadable`, 'malformed');
    }
    sums.set(match[2]!, match[1]!);
  }
  return sums;
}

function metaJson(meta: SnapshotMeta): Record<string, unknown> {
  return {
    format_version: meta.formatVersion,
    index: meta.index,
    term: meta.term,
    node_id: meta.nodeId,
    created_at: meta.createdAt,
    state_bytes: meta.stateBytes,
  };
}

function parseMeta(bytes: Uint8Array): SnapshotMeta {
  const json = parseJson(bytes, META_FILE);
  const { format_version, index, term, node_id, created_at, state_bytes } = json;
  if (format_version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotRejectedError(
      `unsupported snapshot format version ${String(format_version)}`,
      'malformed',
    );
  }
  const counts = [index, term, state_bytes].every(
    (n) => Number.isSafeInteger(n) && (n as number) >= 0,
  );
  if (!counts || typeof node_id !== 'string' || typeof created_at !== 'string') {
    throw new SnapshotRejectedError(`the snapshot ${META_FILE} is incomplete`, 'malformed');
  }
  return {
    formatVersion: format_version,
    index: index as number,
    term: term as number,
    nodeId: node_id,
    createdAt: created_at,
    stateBytes: state_bytes as number,
  };
}

function parseTag(bytes: Uint8Array): string {
  const { algorithm, tag } = parseJson(bytes, SEALED_SUMS_FILE);
  if (algorithm !== TAG_ALGORITHM || typeof tag !== 'string' || !/^[0-9a-f]{64}$/.test(tag)) {
    const message = `the snapshot ${SEALED_SUMS_FILE} is unreadable`;
    throw new SnapshotRejectedError(message, 'malformed');
  }
  return tag;
}

function parseJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    const message = `the snapshot ${file} is not JSON`;
    throw new SnapshotRejectedError(message, 'malformed', {}, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SnapshotRejectedError(`the snapshot ${file} is not a JSON object`, 'malformed');
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number, cause?: unknown): SnapshotRejectedError {
  return new SnapshotRejectedError(
    `the snapshot is too large to restore: its state exceeds the limit of ${limit} bytes`,
    'too_large',
    { limit },
    { cause },
  );
}

function tagOf(key: Uint8Array, sums: Uint8Array): string {
  return createHmac('sha256', key).update(sums).digest('hex');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
