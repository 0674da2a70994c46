/**
 * The state repo writer (docs/architecture.md#the-state-repo): one commit per intent, made by
 * writing blobs and trees straight into a bare repository, touching only the
 * subtrees that changed; a write that changes nothing makes no commit. Writes go
 * through an in-process queue and then the caller's cross-process lock (the api's
 * PostgreSQL advisory lock), and the branch moves by compare-and-swap.
 */
import { StateRepoError } from '../errors.js';
import { fluxIndexYaml, rootKustomizationYaml } from '../render/kustomization.js';
import { FLUX_DIR, KUSTOMIZATION_FILE, TENANTS_DIR, fluxPath, tenantDir } from '../render/layout.js';
import type { RenderedFiles } from '../render/types.js';
import { formatCommitMessage, oneLine, safeIdentity, type CommitMeta, type Identity } from './commit-message.js';
import {
  BLOB_MODE,
  TREE_MODE,
  encodeTree,
  hashObject,
  memoryBlob,
  replaceEntry,
  treeEntries,
  treeFromFiles,
  type MemoryObject,
  type TreeEntry,
} from './git-tree.js';
import { GitObjectStore } from './object-store.js';
import { SerialQueue } from './serial-queue.js';

/** A lock shared by every process that writes the repo (the api: a PostgreSQL advisory lock). */
export interface WriteLock {
  withLock<T>(fn: () => Promise<T>): Promise<T>;
}

export interface StateRepoOptions {
  /** The bare repository (`STATE_REPO_DIR`); created when missing. */
  dir: string;
  /** The branch holding the rendered state (default `main`). */
  branch?: string;
  /** The platform's identity, committer of every commit. */
  committer?: Identity;
  /** Held around every write, after the in-process queue; none by default (one process). */
  lock?: WriteLock;
  /** The clock of commit timestamps (tests pin it). */
  now?: () => Date;
  /**
   * Called under the lock after a commit's objects are written and before the branch
   * moves to it: where a durable copy is stored (the api: PostgreSQL). When it throws,
   * the branch stays where it was and the write fails with its error.
   */
  beforeBranchMoves?: (move: BranchMove) => Promise<void>;
}

/** A commit about to become the branch's head. */
export interface BranchMove {
  parent: string | null;
  commit: string;
}

/**
 * A reconcile's render of the tenants that rendered (`renderEach`), and the
 * namespaces of those that did not: their files stay as the branch has them.
 */
export interface PartialRender {
  files: RenderedFiles;
  keep: readonly string[];
}

export interface CommitResult {
  /** The new commit, or `null` when the tree did not change and nothing was committed. */
  commit: string | null;
  /** The branch head after the write. */
  head: string | null;
}

/** How many objects are written at once; order does not matter before the ref moves. */
const WRITE_CONCURRENCY = 16;
const NO_LOCK: WriteLock = { withLock: (fn) => fn() };
const PLATFORM: Identity = { name: 'Dangus Cloud', email: 'dangus@localhost' };

export class StateRepo {
  private readonly queue = new SerialQueue();
  private readonly store: GitObjectStore;
  private readonly branch: string;
  private readonly committer: Identity;
  private readonly lock: WriteLock;
  private readonly now: () => Date;
  private readonly beforeBranchMoves: ((move: BranchMove) => Promise<void>) | undefined;

  private constructor(options: StateRepoOptions) {
    this.store = new GitObjectStore(options.dir);
    this.branch = options.branch ?? 'main';
    this.committer = safeIdentity(options.committer ?? PLATFORM, PLATFORM.name);
    this.lock = options.lock ?? NO_LOCK;
    this.now = options.now ?? (() => new Date());
    this.beforeBranchMoves = options.beforeBranchMoves;
  }

  /** Opens the repository at `options.dir`, creating a bare one when it does not exist. */
  static async open(options: StateRepoOptions): Promise<StateRepo> {
    const repo = new StateRepo(options);
    await repo.store.init(repo.branch);
    return repo;
  }

  /** The commit the branch points at, `null` before the first commit. */
  head(): Promise<string | null> {
    return this.store.readBranch(this.branch);
  }

  /**
   * Replaces everything below `tenants/{namespace}/` and the tenant's
   * `flux/{namespace}.yaml` by `files` (every path must be one of those, as
   * {@link renderTenant} returns them), or removes the tenant when `files` is `null`;
   * the root and `flux/` `kustomization.yaml` follow when the tenant appears or goes.
   * One commit, or none when nothing changed.
   *
   * @throws {StateRepoError} on a path outside the tenant or a malformed meta.
   * @throws {ConcurrentUpdateError} when another writer moved the branch without the lock.
   */
  async commitTenant(
    namespace: string,
    files: RenderedFiles | null | (() => Promise<RenderedFiles | null>),
    meta: CommitMeta,
  ): Promise<CommitResult> {
    assertNamespace(namespace);
    const scope = meta.service ? `${namespace}/${oneLine(meta.service)}` : namespace;
    const message = formatCommitMessage(scope, meta);
    return this.serialized(async () => {
      // A function renders inside the write's turn (queue and lock held): what it
      // reads is newer than every write before it, so an older snapshot can never
      // be committed over a newer one.
      const rendered = typeof files === 'function' ? await files() : files;
      const relative = rendered === null ? null : tenantRelative(namespace, rendered);
      return this.writeTenant(namespace, relative, message, meta);
    });
  }

  /**
   * Makes the branch hold exactly `files` (a full {@link render}): the reconcile
   * that heals a crash between a database commit and its git commit. Given a
   * {@link PartialRender} (from `renderEach`), the tenants it could not render keep
   * the files the branch has for them, and the root and `flux/` index files list the
   * tenants the result holds. One commit with scope `*`, or none when the repo
   * already matches.
   */
  async commitAll(
    files: RenderedFiles | PartialRender | (() => Promise<RenderedFiles | PartialRender>),
    meta: CommitMeta,
  ): Promise<CommitResult> {
    const message = formatCommitMessage('*', meta);
    return this.serialized(async () => {
      const rendered = typeof files === 'function' ? await files() : files;
      const parent = await this.head();
      const rootOid = parent === null ? null : await this.store.readCommitTree(parent);
      const tree = treeFromFiles(rendered instanceof Map ? rendered : await this.keeping(rendered, rootOid));
      if (rootOid === tree.oid) return { commit: null, head: parent };
      await this.persist(tree, rootOid);
      return this.commit(parent, tree.oid, message, meta);
    });
  }

  /** `partial`'s files with the kept tenants' files of the tree `rootOid`, and the index files. */
  private async keeping(partial: PartialRender, rootOid: string | null): Promise<RenderedFiles> {
    const files = new Map(partial.files);
    const rootEntries = rootOid === null ? [] : await this.store.readTree(rootOid);
    const tenants = await this.subtree(rootEntries, TENANTS_DIR);
    const flux = await this.subtree(rootEntries, FLUX_DIR);
    for (const namespace of partial.keep) {
      const dir = tenants.find((entry) => entry.name === namespace && entry.type === 'tree');
      if (dir !== undefined) await this.readFiles(dir.oid, tenantDir(namespace), files);
      const fluxFile = flux.find((entry) => `${FLUX_DIR}/${entry.name}` === fluxPath(namespace) && entry.type === 'blob');
      if (fluxFile !== undefined) files.set(fluxPath(namespace), await this.store.readText(fluxFile.oid));
    }
    const namespaces = new Set<string>();
    const fluxNamespaces = new Set<string>();
    for (const path of files.keys()) {
      const [top, name] = path.split('/');
      if (top === TENANTS_DIR && name !== undefined) namespaces.add(name);
      if (top === FLUX_DIR && name !== undefined && name !== KUSTOMIZATION_FILE) fluxNamespaces.add(name.replace(/\.yaml$/, ''));
    }
    files.set(KUSTOMIZATION_FILE, rootKustomizationYaml([...namespaces].sort()));
    if (fluxNamespaces.size > 0) files.set(`${FLUX_DIR}/${KUSTOMIZATION_FILE}`, fluxIndexYaml([...fluxNamespaces].sort()));
    else files.delete(`${FLUX_DIR}/${KUSTOMIZATION_FILE}`);
    return files;
  }

  /** Every file below the tree `oid`, into `out` with `prefix`. */
  private async readFiles(oid: string, prefix: string, out: Map<string, string>): Promise<void> {
    for (const entry of await this.store.readTree(oid)) {
      const path = `${prefix}/${entry.name}`;
      if (entry.type === 'tree') await this.readFiles(entry.oid, path, out);
      else out.set(path, await this.store.readText(entry.oid));
    }
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(() => this.lock.withLock(task));
  }

  private async writeTenant(
    namespace: string,
    files: TenantFiles | null,
    message: string,
    meta: CommitMeta,
  ): Promise<CommitResult> {
    const parent = await this.head();
    const rootEntries = parent === null ? [] : await this.store.readTree(await this.store.readCommitTree(parent));
    const tenants = await this.subtree(rootEntries, TENANTS_DIR);
    const fluxEntries = await this.subtree(rootEntries, FLUX_DIR);
    const fluxName = fluxPath(namespace).slice(FLUX_DIR.length + 1);
    const before = tenants.find((entry) => entry.name === namespace && entry.type === 'tree') ?? null;
    const fluxBefore = fluxEntries.find((entry) => entry.name === fluxName && entry.type === 'blob') ?? null;
    const gone = files === null || files.tenant.size === 0;
    const after = gone ? null : treeFromFiles(files.tenant);
    const fluxAfter = gone || files.flux === null ? null : memoryBlob(files.flux);
    if ((after?.oid ?? null) === (before?.oid ?? null) && (fluxAfter?.oid ?? null) === (fluxBefore?.oid ?? null)) {
      return { commit: null, head: parent };
    }

    if (after !== null) await this.persist(after, before?.oid ?? null);
    const nextTenants = replaceEntry(tenants, namespace, after === null ? null : treeEntry(namespace, after.oid));
    let nextRoot = await this.withSubtree(rootEntries, TENANTS_DIR, nextTenants);
    if (before === null || after === null) {
      // The tenant set changed: the root kustomization lists tenants/*.
      nextRoot = await this.withBlob(nextRoot, KUSTOMIZATION_FILE, rootKustomizationYaml(nextTenants.map((entry) => entry.name)));
    }
    // A tenant's Flux Kustomization changes only when it comes, goes, or the Flux
    // settings change: most commits leave flux/ as it is.
    if ((fluxAfter?.oid ?? null) !== (fluxBefore?.oid ?? null)) {
      if (fluxAfter !== null) await this.store.writeBlob(fluxAfter.content, fluxAfter.oid);
      let nextFlux = replaceEntry(
        fluxEntries.filter((entry) => entry.name !== KUSTOMIZATION_FILE),
        fluxName,
        fluxAfter === null ? null : blobEntry(fluxName, fluxAfter.oid),
      );
      if (nextFlux.length > 0) nextFlux = await this.withBlob(nextFlux, KUSTOMIZATION_FILE, fluxIndexYaml(nextFlux.map((entry) => entry.name.replace(/\.yaml$/, ''))));
      nextRoot = await this.withSubtree(nextRoot, FLUX_DIR, nextFlux);
    }
    return this.commit(parent, await this.writeTree(nextRoot), message, meta);
  }

  /** The entries of the directory `name` of `entries`, none when it is absent. */
  private async subtree(entries: TreeEntry[], name: string): Promise<TreeEntry[]> {
    const entry = entries.find((e) => e.name === name && e.type === 'tree');
    return entry === undefined ? [] : this.store.readTree(entry.oid);
  }

  /** `entries` with the directory `name` holding `children`, or without it when empty. */
  private async withSubtree(entries: TreeEntry[], name: string, children: TreeEntry[]): Promise<TreeEntry[]> {
    return replaceEntry(entries, name, children.length === 0 ? null : treeEntry(name, await this.writeTree(children)));
  }

  /** `entries` with the file `name` holding `text`. */
  private async withBlob(entries: TreeEntry[], name: string, text: string): Promise<TreeEntry[]> {
    const blob = memoryBlob(text);
    await this.store.writeBlob(blob.content, blob.oid);
    return replaceEntry(entries, name, blobEntry(name, blob.oid));
  }

  /**
   * Writes `node` and whatever below it differs from the tree `previous`. Objects
   * are written a few at a time: a reconcile writes thousands, each a small file.
   */
  private async persist(node: MemoryObject, previous: string | null): Promise<void> {
    const pending: MemoryObject[] = [];
    await this.collectChanged(node, previous, pending);
    for (let i = 0; i < pending.length; i += WRITE_CONCURRENCY) {
      await Promise.all(pending.slice(i, i + WRITE_CONCURRENCY).map((object) => this.writeObject(object)));
    }
  }

  /** Appends to `out` every object of `node` that `previous` lacks, children first. */
  private async collectChanged(node: MemoryObject, previous: string | null, out: MemoryObject[]): Promise<void> {
    if (node.oid === previous) return;
    if (node.type === 'tree') {
      const old = new Map((previous === null ? [] : await this.store.readTree(previous)).map((e) => [e.name, e]));
      for (const [name, child] of node.children) {
        const was = old.get(name);
        await this.collectChanged(child, was !== undefined && was.type === child.type ? was.oid : null, out);
      }
    }
    out.push(node);
  }

  private async writeObject(object: MemoryObject): Promise<void> {
    if (object.type === 'blob') await this.store.writeBlob(object.content, object.oid);
    else await this.store.writeTree(treeEntries(object.children), object.content, object.oid);
  }

  private async writeTree(entries: TreeEntry[]): Promise<string> {
    const content = encodeTree(entries);
    const oid = hashObject('tree', content);
    await this.store.writeTree(entries, content, oid);
    return oid;
  }

  private async commit(parent: string | null, tree: string, message: string, meta: CommitMeta): Promise<CommitResult> {
    const commit = await this.store.writeCommit({
      tree,
      parents: parent === null ? [] : [parent],
      message,
      author: safeIdentity(meta.actor, meta.actor.login),
      committer: this.committer,
      timestamp: Math.floor(this.now().getTime() / 1000),
    });
    await this.beforeBranchMoves?.({ parent, commit });
    await this.store.updateBranch(this.branch, parent, commit);
    return { commit, head: commit };
  }
}

function treeEntry(name: string, oid: string): TreeEntry {
  return { name, oid, type: 'tree', mode: TREE_MODE };
}

function blobEntry(name: string, oid: string): TreeEntry {
  return { name, oid, type: 'blob', mode: BLOB_MODE };
}

/** One tenant's files: below `tenants/{namespace}/` (relative to it) and its Flux Kustomization. */
interface TenantFiles {
  tenant: Map<string, string>;
  flux: string | null;
}

/** The tenant's files relative to `tenants/{namespace}/`, and its `flux/{namespace}.yaml`. */
function tenantRelative(namespace: string, files: RenderedFiles): TenantFiles {
  const prefix = `${tenantDir(namespace)}/`;
  const flux = fluxPath(namespace);
  const out: TenantFiles = { tenant: new Map(), flux: null };
  for (const [path, text] of files) {
    if (path === flux) out.flux = text;
    else if (path.startsWith(prefix)) out.tenant.set(path.slice(prefix.length), text);
    else throw new StateRepoError(`${path} is outside ${prefix} and is not ${flux}`);
  }
  return out;
}

function assertNamespace(namespace: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new StateRepoError(`Not a namespace: ${JSON.stringify(namespace)}`);
  }
}
