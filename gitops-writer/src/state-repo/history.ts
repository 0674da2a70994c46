/**
 * The infrastructure history of a service, read from the state repo itself with git's own
 * plumbing (`git log`, `git show`): the commits that touched the service's files
 * (`tenants/{namespace}/{service}/…`) or its tenant's shared files (`tenants/{namespace}/*`),
 * newest first, and one commit's diff restricted to those paths, never another tenant's.
 *
 * Cost: `git log -- tenants/{namespace}` with the commit-graph's changed-path Bloom filters
 * (`refreshIndex()` keeps them current) tests each commit against a filter instead of
 * reading its trees, so a page costs the tenant's commits walked, not the repository's size.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

import { StateRepoError } from '../errors.js';

const run = promisify(execFile);

export interface HistoryFile {
  path: string;
  added: number;
  removed: number;
}

export interface HistoryPerson {
  name: string;
  email: string;
  date: string;
}

export interface HistoryCommit {
  sha: string;
  subject: string;
  author: HistoryPerson;
  committer: HistoryPerson;
  /** The `Dangus-*` trailers: who acted, for which deployment and source commit. */
  trailers: { actor: string | null; deploymentId: string | null; sourceCommit: string | null };
  /** The service's and its tenant's files the commit changed (other paths are left out). */
  files: HistoryFile[];
}

export interface HistoryScope {
  namespace: string;
  service: string;
}

export interface HistoryPage {
  commits: HistoryCommit[];
  /** Where the next page starts (the last commit of this one), or null at the end. */
  after: string | null;
}

const SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const FIELD = '\u001f';
const RECORD = '\u001e';
const FORMAT = `${RECORD}${['%H', '%s', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%(trailers:only,unfold)'].join(FIELD)}${FIELD}`;

/** A commit id of this repository's hash (checked, not trusted: it reaches git as data). */
export function isCommitId(value: string): boolean {
  return SHA.test(value);
}

export class StateHistory {
  private indexing: Promise<void> | null = null;
  private indexRequests = 0;
  private indexTimer: NodeJS.Timeout | undefined;
  private processes = 0;

  /** `dir`: the bare state repository. */
  constructor(private readonly dir: string) {}

  /** How many git processes this reader has started (a figure for tests and benchmarks). */
  get gitProcesses(): number {
    return this.processes;
  }

  /**
   * Up to `limit` commits of the service's history, newest first, starting after `after`
   * (a commit id from a previous page) or at HEAD.
   *
   * One `git log` per literal path (the service's directory, and each file directly under
   * its tenant's directory at HEAD), run together, then one walk that puts their union in
   * the history's order: git (2.39) consults the Bloom filters only for a single pathspec,
   * and then tests every leading directory of it, so `tenants/{ns}/{service}` rules out
   * other services' commits without reading a tree. (A tenant-level file that no longer
   * exists at HEAD is not looked for.) A page starts the same few git processes whatever
   * the commits' shape: at most paths + 3, one more after a cursor.
   */
  async page(scope: HistoryScope, after: string | null, limit = 50): Promise<HistoryPage> {
    checkScope(scope);
    if (after !== null && !(await this.isCommit(after))) throw new StateRepoError('Not a commit of the state repo.');
    const from = after === null ? await this.head() : await this.firstParent(after);
    if (from === null) return { commits: [], after: null };
    const paths = [`tenants/${scope.namespace}/${scope.service}`, ...(await this.tenantFiles(scope))];
    const lists = await Promise.all(paths.map((path) => this.log(from, path, limit + 1)));
    const merged = await this.merge(from, lists, limit + 1);
    const commits = merged.slice(0, limit).map((commit) => ({ ...commit, files: commit.files.filter((f) => inScope(scope, f.path)) }));
    return { commits, after: merged.length > limit ? (commits.at(-1)?.sha ?? null) : null };
  }

  /** One commit of the service's history with its diff on the service's paths; null when it is not one. */
  async show(scope: HistoryScope, sha: string): Promise<{ commit: HistoryCommit; diff: string } | null> {
    checkScope(scope);
    if (!isCommitId(sha) || !(await this.isCommit(sha))) return null;
    const [commit] = await this.log(sha, `tenants/${scope.namespace}`, 1);
    // `git log -n 1 <sha> -- path` walks on to an older commit when <sha> does not touch it.
    if (commit?.sha !== sha) return null;
    const files = commit.files.filter((file) => inScope(scope, file.path));
    if (files.length === 0) return null;
    const { stdout } = await this.git(
      ['show', '--format=', '--patch', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', sha, '--', ...files.map((f) => f.path)],
    );
    return { commit: { ...commit, files }, diff: stdout };
  }

  /**
   * Writes the commit-graph with changed-path Bloom filters for the commits not in it yet
   * (a new layer; git merges layers as they grow). Concurrent calls coalesce.
   */
  async refreshIndex(): Promise<void> {
    this.indexRequests += 1;
    if (this.indexing) return this.indexing;
    this.indexing = (async () => {
      // Again while calls came in during a write: their commits may be newer than it.
      for (let done = -1; done !== this.indexRequests; ) {
        done = this.indexRequests;
        if ((await this.head()) !== null) await this.git(['commit-graph', 'write', '--reachable', '--changed-paths', '--split']);
      }
    })().finally(() => {
      this.indexing = null;
    });
    return this.indexing;
  }

  /**
   * Refreshes the index `delayMs` after the first call (commits come in bursts: one write
   * covers them all). Failures are reported to `onError`; the history works without the
   * index, only slower.
   */
  refreshSoon(onError: (error: unknown) => void, delayMs = 1_000): void {
    if (this.indexTimer) return;
    this.indexTimer = setTimeout(() => {
      this.indexTimer = undefined;
      this.refreshIndex().catch(onError);
    }, delayMs);
    this.indexTimer.unref();
  }

  /** Cancels a pending refresh (shutdown). */
  stop(): void {
    clearTimeout(this.indexTimer);
    this.indexTimer = undefined;
  }

  private async log(from: string, path: string, count: number): Promise<HistoryCommit[]> {
    const { stdout } = await this.git(['log', `--format=${FORMAT}`, '--numstat', '--no-renames', `--max-count=${String(count)}`, from, '--', path]);
    return stdout.split(RECORD).slice(1).map(parseCommit);
  }

  /** The files (not directories) directly under the tenant's directory at HEAD: namespace, quota, policies. */
  private async tenantFiles(scope: HistoryScope): Promise<string[]> {
    const { stdout } = await this.git(['ls-tree', '-z', 'HEAD', `tenants/${scope.namespace}/`]);
    return stdout
      .split('\0')
      .map((entry) => /^\d+ blob [0-9a-f]+\t(.+)$/.exec(entry)?.[1])
      .filter((path): path is string => path !== undefined);
  }

  /**
   * The newest `count` commits of the union of several newest-first lists of commits
   * reachable from `from`, newest first. The order is git's: one `git rev-list from`, read
   * only while commits of two lists are left to place (the rest of one list is in order
   * already). The state repo's history is linear (each commit's parent is the head it
   * replaced), so this is their ancestry, also where commits share a second or the clock
   * went back. The walk reads commit ids only, from the commit-graph, and goes no further
   * back than the logs went.
   */
  private async merge(from: string, lists: HistoryCommit[][], count: number): Promise<HistoryCommit[]> {
    const bySha = new Map<string, HistoryCommit>();
    for (const commit of lists.flat()) {
      const seen = bySha.get(commit.sha);
      if (!seen) bySha.set(commit.sha, commit);
      else bySha.set(commit.sha, { ...seen, files: [...seen.files, ...commit.files.filter((f) => !seen.files.some((g) => g.path === f.path))] });
    }
    const merged: HistoryCommit[] = [];
    const unseen = new Set(bySha.keys());
    /** The list that holds every commit not placed yet, if one does. */
    const rest = () => lists.find((list) => list.filter((c) => unseen.has(c.sha)).length === unseen.size);
    if (rest() === undefined) {
      const walk = spawn('git', this.gitArgs(['rev-list', from]), { env: GIT_ENV, stdio: ['ignore', 'pipe', 'ignore'] });
      this.processes += 1;
      const ended = new Promise<Error | number | null>((resolve) => {
        walk.on('error', resolve);
        walk.on('close', resolve);
      });
      for await (const sha of createInterface({ input: walk.stdout })) {
        const commit = bySha.get(sha);
        if (commit === undefined) continue;
        merged.push(commit);
        unseen.delete(sha);
        if (merged.length >= count || rest() !== undefined) break;
      }
      walk.stdout.destroy();
      walk.kill();
      const end = await ended;
      if (end instanceof Error) throw gitError(end);
      if (merged.length < count && rest() === undefined) {
        throw new StateRepoError(`git rev-list ${from} did not pass every commit of the history (exit ${String(end)}).`);
      }
    }
    const last = (rest() ?? []).filter((c) => unseen.has(c.sha)).map((c) => bySha.get(c.sha) ?? c);
    return [...merged, ...last].slice(0, count);
  }

  private async isCommit(sha: string): Promise<boolean> {
    if (!isCommitId(sha)) return false;
    try {
      const { stdout } = await this.git(['cat-file', '-t', sha]);
      return stdout.trim() === 'commit';
    } catch {
      return false;
    }
  }

  /** A commit's first parent, or null for the root commit. */
  private async firstParent(sha: string): Promise<string | null> {
    const { stdout } = await this.git(['rev-list', '--parents', '-n', '1', sha]);
    return stdout.trim().split(' ')[1] ?? null;
  }

  /** The commit HEAD is at, or null in a repository without commits. */
  private async head(): Promise<string | null> {
    try {
      const { stdout } = await this.git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
      return stdout.trim();
    } catch {
      return null;
    }
  }

  private async git(args: string[]): Promise<{ stdout: string }> {
    this.processes += 1;
    try {
      return await run('git', this.gitArgs(args), { maxBuffer: 64 * 1024 * 1024, env: GIT_ENV });
    } catch (error) {
      throw gitError(error);
    }
  }

  private gitArgs(args: string[]): string[] {
    return ['-c', 'core.quotePath=false', '--git-dir', this.dir, ...args];
  }
}

const GIT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' };

function gitError(error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new StateRepoError('The history needs the git command on the platform\'s PATH.', { cause: error });
  }
  return error;
}

function checkScope(scope: HistoryScope): void {
  if (!NAME.test(scope.namespace) || !NAME.test(scope.service)) throw new StateRepoError('Not a namespace and service name.');
}

/** The service's own files, or its tenant's shared ones (directly under the tenant's directory). */
function inScope(scope: HistoryScope, path: string): boolean {
  const tenant = `tenants/${scope.namespace}/`;
  if (!path.startsWith(tenant)) return false;
  const rest = path.slice(tenant.length);
  return rest.startsWith(`${scope.service}/`) || !rest.includes('/');
}

function parseCommit(record: string): HistoryCommit {
  const fields = record.split(FIELD);
  const [sha = '', subject = '', an = '', ae = '', ad = '', cn = '', ce = '', cd = '', trailers = '', numstat = ''] = fields;
  const trailer = (key: string) => new RegExp(`^${key}: (.+)$`, 'm').exec(trailers)?.[1]?.trim() ?? null;
  const files = numstat
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((parts): parts is [string, string, string] => parts.length === 3)
    .map(([added, removed, path]) => ({ path, added: added === '-' ? 0 : Number(added), removed: removed === '-' ? 0 : Number(removed) }));
  return {
    sha,
    subject,
    author: { name: an, email: ae, date: ad },
    committer: { name: cn, email: ce, date: cd },
    trailers: { actor: trailer('Dangus-Actor'), deploymentId: trailer('Dangus-Deployment'), sourceCommit: trailer('Dangus-Source-Commit') },
    files,
  };
}
