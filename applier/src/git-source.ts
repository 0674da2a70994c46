/**
 * Where the applier reads the state repo: a local repository (bare, as the
 * writer keeps it, or with a working tree), through isomorphic-git's object
 * reads. Only `tenants/` is walked; trees and blobs are immutable, so what was
 * read once is kept by object id.
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import { SourceError } from './errors.js';
import { isManifestPath, type ManifestFile } from './manifests.js';

/** The state repo as the applier sees it. */
export interface StateSource {
  /** The commit to apply (the branch head), `null` while the branch has no commit. */
  resolve(): Promise<string | null>;
  /**
   * The manifest files of `commit` (paths that {@link isManifestPath} accepts), or only
   * those under `tenants/<t>/` for the tenants `t` named.
   */
  files(commit: string, tenants?: ReadonlySet<string>): Promise<ManifestFile[]>;
  /**
   * Each tenant directory of `commit` (`tenants/<t>`) and its git tree id: equal ids, equal
   * contents. Absent: the applier cannot tell what changed and syncs everything.
   */
  tenantTrees?(commit: string): Promise<Map<string, string>>;
}

export interface LocalRepoSourceOptions {
  /** The repository: a bare repo (the writer's `STATE_REPO_DIR`) or a directory with `.git`. */
  dir: string;
  /** Default `main`. */
  branch?: string;
}

/** Entries kept per cache before it starts over (each commit adds a few new trees). */
const BLOB_CACHE_LIMIT = 50_000;

export class LocalRepoSource implements StateSource {
  private readonly gitdir: string;
  private readonly branch: string;
  private readonly cache: object = {};
  private readonly blobs = new Map<string, string>();
  private readonly trees = new Map<string, git.TreeEntry[]>();

  constructor(options: LocalRepoSourceOptions) {
    this.gitdir = existsSync(join(options.dir, '.git')) ? join(options.dir, '.git') : options.dir;
    this.branch = options.branch ?? 'main';
  }

  async resolve(): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}` });
    } catch (error) {
      if (error instanceof git.Errors.NotFoundError) {
        if (!existsSync(this.gitdir)) throw new SourceError(`no git repository at ${this.gitdir}`, { cause: error });
        return null;
      }
      throw new SourceError(`cannot resolve ${this.branch} in ${this.gitdir}`, { cause: error });
    }
  }

  async files(commit: string, tenants?: ReadonlySet<string>): Promise<ManifestFile[]> {
    try {
      const out: ManifestFile[] = [];
      if (tenants === undefined) {
        const { commit: parsed } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
        await this.walk(parsed.tree, '', out);
        return out;
      }
      for (const [tenant, tree] of await this.tenantTrees(commit)) {
        if (tenants.has(tenant)) await this.walk(tree, `tenants/${tenant}/`, out);
      }
      return out;
    } catch (error) {
      throw new SourceError(`cannot read commit ${commit} from ${this.gitdir}`, { cause: error });
    }
  }

  async tenantTrees(commit: string): Promise<Map<string, string>> {
    const { commit: parsed } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
    const tenantsDir = (await this.readTree(parsed.tree)).find((entry) => entry.path === 'tenants' && entry.type === 'tree');
    const trees = new Map<string, string>();
    if (tenantsDir === undefined) return trees;
    for (const entry of await this.readTree(tenantsDir.oid)) if (entry.type === 'tree') trees.set(entry.path, entry.oid);
    return trees;
  }

  private async walk(treeOid: string, prefix: string, out: ManifestFile[]): Promise<void> {
    for (const entry of await this.readTree(treeOid)) {
      const path = `${prefix}${entry.path}`;
      if (entry.type === 'tree') {
        if (prefix !== '' || entry.path === 'tenants') await this.walk(entry.oid, `${path}/`, out);
      } else if (entry.type === 'blob' && isManifestPath(path)) {
        out.push({ path, text: await this.readBlob(entry.oid) });
      }
    }
  }

  private async readTree(oid: string): Promise<git.TreeEntry[]> {
    const cached = this.trees.get(oid);
    if (cached !== undefined) return cached;
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    if (this.trees.size >= BLOB_CACHE_LIMIT) this.trees.clear();
    this.trees.set(oid, tree);
    return tree;
  }

  private async readBlob(oid: string): Promise<string> {
    const cached = this.blobs.get(oid);
    if (cached !== undefined) return cached;
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    const text = Buffer.from(blob).toString('utf8');
    if (this.blobs.size >= BLOB_CACHE_LIMIT) this.blobs.clear();
    this.blobs.set(oid, text);
    return text;
  }
}
