/**
 * The I/O shell of the state repo: reads and writes git objects and the branch
 * ref of a bare repository through isomorphic-git. No working tree, no index.
 */
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as git from 'isomorphic-git';
import { ConcurrentUpdateError, StateRepoError } from '../errors.js';
import { BLOB_MODE, TREE_MODE, type TreeEntry } from './git-tree.js';

/**
 * node's promise fs for isomorphic-git. isomorphic-git probes every fs it is given,
 * on every call, by calling `readFile()` without a path; node answers that with a
 * freshly built TypeError and stack. Answering the probe with one shared rejection
 * takes that cost out of each commit.
 */
const PROBE = Object.assign(new Error('readFile needs a path'), { code: 'EINVAL' });
const fs: git.PromiseFsClient = {
  promises: {
    readFile: (path?: Parameters<typeof fsp.readFile>[0], options?: Parameters<typeof fsp.readFile>[1]) =>
      path === undefined ? Promise.reject(PROBE) : fsp.readFile(path, options ?? null),
    writeFile: fsp.writeFile,
    unlink: fsp.unlink,
    readdir: fsp.readdir,
    mkdir: fsp.mkdir,
    rmdir: fsp.rmdir,
    stat: fsp.stat,
    lstat: fsp.lstat,
    readlink: fsp.readlink,
    symlink: fsp.symlink,
    chmod: fsp.chmod,
  },
};

/** Parsed trees kept in memory; trees are immutable, so the cache never goes stale. */
const TREE_CACHE_LIMIT = 20_000;

export interface CommitObject {
  tree: string;
  parents: string[];
  message: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  /** Seconds since the epoch. */
  timestamp: number;
}

export class GitObjectStore {
  private readonly trees = new Map<string, TreeEntry[]>();
  private readonly commitTrees = new Map<string, string>();
  /** isomorphic-git's own cache (pack indexes), reused across calls. */
  private readonly gitCache: object = {};

  constructor(readonly gitdir: string) {}

  /** Creates the bare repository with `HEAD` on `branch` when there is none yet. */
  async init(branch: string): Promise<void> {
    if (existsSync(join(this.gitdir, 'HEAD'))) return;
    await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: branch });
  }

  /** The commit `refs/heads/{branch}` points at, or `null` on an unborn branch. */
  async readBranch(branch: string): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${branch}` });
    } catch (error) {
      if (error instanceof git.Errors.NotFoundError) return null;
      throw new StateRepoError(`Cannot read branch ${branch}`, { cause: error });
    }
  }

  async readCommitTree(oid: string): Promise<string> {
    const cached = this.commitTrees.get(oid);
    if (cached !== undefined) return cached;
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.gitCache });
    if (this.commitTrees.size >= TREE_CACHE_LIMIT) this.commitTrees.clear();
    this.commitTrees.set(oid, commit.tree);
    return commit.tree;
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const cached = this.trees.get(oid);
    if (cached !== undefined) return cached;
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.gitCache });
    const entries = tree.map((entry): TreeEntry => {
      if (entry.type !== 'blob' && entry.type !== 'tree') {
        throw new StateRepoError(`Unexpected ${entry.type} ${entry.path} in tree ${oid}`);
      }
      return { name: entry.path, oid: entry.oid, type: entry.type, mode: entry.type === 'tree' ? TREE_MODE : BLOB_MODE };
    });
    if (this.trees.size >= TREE_CACHE_LIMIT) this.trees.clear();
    this.trees.set(oid, entries);
    return entries;
  }

  /** The text of a blob (the repo holds UTF-8 YAML only). */
  async readText(oid: string): Promise<string> {
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.gitCache });
    return new TextDecoder().decode(blob);
  }

  /** Writes a blob whose oid was computed in memory ({@link hashObject}). */
  async writeBlob(content: Uint8Array, oid: string): Promise<void> {
    await this.writeLoose('blob', content, oid);
  }

  /** Writes a tree whose bytes and oid were computed in memory, and caches its entries. */
  async writeTree(entries: TreeEntry[], content: Uint8Array, oid: string): Promise<void> {
    await this.writeLoose('tree', content, oid);
    this.rememberTree(oid, entries);
  }

  /**
   * Writes a loose object the way git does: deflate, write a temporary file, move
   * it into place. isomorphic-git's own writer deflates through web streams (about
   * a millisecond per small object) and writes in place, so a crash can leave a
   * torn object; this one is atomic and an order of magnitude cheaper.
   */
  private async writeLoose(type: 'blob' | 'tree', content: Uint8Array, oid: string): Promise<void> {
    const dir = join(this.gitdir, 'objects', oid.slice(0, 2));
    const path = join(dir, oid.slice(2));
    if (existsSync(path)) return;
    const header = Buffer.from(`${type} ${String(content.byteLength)}\0`);
    const deflated = deflateSync(Buffer.concat([header, content]));
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `tmp_obj_${randomBytes(6).toString('hex')}`);
    await writeFile(temp, deflated, { mode: 0o444 });
    // Replacing an object another writer stored meanwhile is harmless: same bytes.
    await rename(temp, path);
  }

  private rememberTree(oid: string, entries: TreeEntry[]): void {
    if (this.trees.size >= TREE_CACHE_LIMIT) this.trees.clear();
    this.trees.set(oid, entries);
  }

  async writeCommit(commit: CommitObject): Promise<string> {
    const when = { timestamp: commit.timestamp, timezoneOffset: 0 };
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: {
        message: commit.message,
        tree: commit.tree,
        parent: commit.parents,
        author: { ...commit.author, ...when },
        committer: { ...commit.committer, ...when },
      },
    });
  }

  /**
   * Moves `refs/heads/{branch}` from `expected` to `next` the way git does: take
   * `{ref}.lock` exclusively, check the ref still holds `expected`, rename the lock
   * over the ref. A writer that skipped the lock is detected, not overwritten.
   *
   * @throws {ConcurrentUpdateError} when the lock is taken or the ref moved.
   */
  async updateBranch(branch: string, expected: string | null, next: string): Promise<void> {
    const refPath = join(this.gitdir, 'refs', 'heads', branch);
    const lockPath = `${refPath}.lock`;
    let handle;
    try {
      handle = await open(lockPath, 'wx');
    } catch (error) {
      throw new ConcurrentUpdateError(`refs/heads/${branch} is locked by another writer`, { cause: error });
    }
    try {
      // No fsync, like git's default for loose refs: the database is the source of
      // truth and the start-up reconcile re-creates a commit lost to a crash.
      try {
        await handle.writeFile(`${next}\n`);
      } finally {
        await handle.close();
      }
      const current = await this.readBranch(branch);
      if (current !== expected) {
        throw new ConcurrentUpdateError(
          `refs/heads/${branch} moved from ${String(expected)} to ${String(current)} during the commit`,
        );
      }
      await rename(lockPath, refPath);
    } catch (error) {
      await rm(lockPath, { force: true });
      throw error;
    }
  }
}
