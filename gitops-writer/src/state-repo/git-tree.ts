/**
 * Git trees computed in memory (pure: hashing is not I/O). Knowing every oid
 * before writing anything lets the writer compare a new subtree with the one in
 * the repo and write only what differs: the cost of a commit follows the size of
 * the change, not of the repository.
 */
import { createHash } from 'node:crypto';
import { StateRepoError } from '../errors.js';

export const BLOB_MODE = '100644';
export const TREE_MODE = '040000';

/** One entry of a git tree object. */
export interface TreeEntry {
  mode: typeof BLOB_MODE | typeof TREE_MODE;
  name: string;
  oid: string;
  type: 'blob' | 'tree';
}

/** A blob or tree built in memory with its oid and the bytes that hash to it. */
export type MemoryObject =
  | { type: 'blob'; oid: string; content: Uint8Array }
  | { type: 'tree'; oid: string; content: Uint8Array; children: Map<string, MemoryObject> };

const encoder = new TextEncoder();

/** The oid git gives an object of `type` with `content` (SHA-1 repositories). */
export function hashObject(type: 'blob' | 'tree' | 'commit', content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${String(content.byteLength)}\0`).update(content).digest('hex');
}

export function memoryBlob(text: string): MemoryObject {
  const content = encoder.encode(text);
  return { type: 'blob', oid: hashObject('blob', content), content };
}

/**
 * Git orders tree entries by name bytes, a subtree's name compared as if it ended
 * in `/` (so `a.yaml` sorts before the directory `a` followed by `a0`).
 */
export function sortEntries(entries: readonly TreeEntry[]): TreeEntry[] {
  // Keys computed once; names are ASCII (DNS labels, file names), where UTF-16
  // order is byte order. Git checks the order: a wrong one fails the hash check.
  return entries
    .map((entry) => ({ entry, key: sortKey(entry) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ entry }) => entry);
}

function sortKey(entry: TreeEntry): string {
  return entry.type === 'tree' ? `${entry.name}/` : entry.name;
}

/**
 * `sorted` with the entry called `name` replaced by `entry`, or removed when
 * `entry` is `null`; linear, without re-sorting the (possibly large) tree.
 */
export function replaceEntry(sorted: readonly TreeEntry[], name: string, entry: TreeEntry | null): TreeEntry[] {
  const result = sorted.filter((e) => e.name !== name);
  if (entry === null) return result;
  const key = sortKey(entry);
  const at = result.findIndex((e) => sortKey(e) > key);
  result.splice(at === -1 ? result.length : at, 0, entry);
  return result;
}

/** The bytes of a tree object holding `entries`, which must be in git order ({@link sortEntries}). */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const parts = entries.flatMap((entry) => [
    Buffer.from(`${entry.type === 'tree' ? '40000' : entry.mode} ${entry.name}\0`),
    Buffer.from(entry.oid, 'hex'),
  ]);
  return new Uint8Array(Buffer.concat(parts));
}

export function memoryTree(children: Map<string, MemoryObject>): MemoryObject {
  const content = encodeTree(treeEntries(children));
  return { type: 'tree', oid: hashObject('tree', content), content, children };
}

/**
 * Builds the tree of `files` (paths relative to the tree's root, `/`-separated).
 *
 * @throws {StateRepoError} on an empty, absolute or `..` path, or a path that is
 *   both a file and a directory.
 */
export function treeFromFiles(files: ReadonlyMap<string, string>): MemoryObject {
  interface Dir {
    dirs: Map<string, Dir>;
    blobs: Map<string, string>;
  }
  const root: Dir = { dirs: new Map(), blobs: new Map() };
  for (const [path, text] of files) {
    const parts = path.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..' || part === '.git')) {
      throw new StateRepoError(`Not a relative file path: ${JSON.stringify(path)}`);
    }
    const name = parts.pop() as string;
    let dir = root;
    for (const part of parts) {
      if (dir.blobs.has(part)) throw new StateRepoError(`${path}: ${part} is a file`);
      let next = dir.dirs.get(part);
      if (next === undefined) {
        next = { dirs: new Map(), blobs: new Map() };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    if (dir.dirs.has(name)) throw new StateRepoError(`${path} is a directory`);
    dir.blobs.set(name, text);
  }
  const build = (dir: Dir): MemoryObject => {
    const children = new Map<string, MemoryObject>();
    for (const [name, text] of dir.blobs) children.set(name, memoryBlob(text));
    for (const [name, sub] of dir.dirs) children.set(name, build(sub));
    return memoryTree(children);
  };
  return build(root);
}

/** The entries of an in-memory tree, in git order. */
export function treeEntries(children: ReadonlyMap<string, MemoryObject>): TreeEntry[] {
  return sortEntries(
    [...children].map(([name, child]) => ({
      name,
      oid: child.oid,
      type: child.type,
      mode: child.type === 'tree' ? TREE_MODE : BLOB_MODE,
    })),
  );
}
