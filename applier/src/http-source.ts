/**
 * The state repo over git smart HTTP (the api's read-only `/state.git`, bearer
 * token): each `resolve()` fetches the branch into a local bare cache with
 * isomorphic-git, then reads it through a {@link LocalRepoSource}.
 */
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { SourceError } from './errors.js';
import { LocalRepoSource, type StateSource } from './git-source.js';
import type { ManifestFile } from './manifests.js';

export interface HttpRepoSourceOptions {
  /** The smart-HTTP URL of the repo, e.g. `https://dangus.example.com/state.git`. */
  url: string;
  /** Sent as the password of basic auth (user `x-access-token`), which the api accepts as the token. */
  token?: string;
  /** The local cache: a bare repository, created when missing. Reused across restarts. */
  cacheDir: string;
  /** Default `main`. */
  branch?: string;
  /** One fetch (all its requests) is aborted after this long. Default 60 s. */
  timeoutMs?: number;
}

/** The URL without credentials, query or fragment: what error messages and logs may show. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

export class HttpRepoSource implements StateSource {
  private readonly url: string;
  private readonly token: string | undefined;
  private readonly gitdir: string;
  private readonly branch: string;
  private readonly timeoutMs: number;
  private readonly local: LocalRepoSource;
  private initialized = false;
  /** Fetches into the one cache dir run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HttpRepoSourceOptions) {
    this.url = options.url;
    this.token = options.token === '' ? undefined : options.token;
    this.gitdir = options.cacheDir;
    this.branch = options.branch ?? 'main';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.local = new LocalRepoSource({ dir: this.gitdir, branch: this.branch });
  }

  /** Fetches the branch, moves the cache's `refs/heads/<branch>` to the remote head and returns it. */
  resolve(): Promise<string | null> {
    const run = this.queue.then(() => this.fetchHead());
    this.queue = run.catch(() => undefined);
    return run;
  }

  files(commit: string, tenants?: ReadonlySet<string>): Promise<ManifestFile[]> {
    return this.local.files(commit, tenants);
  }

  tenantTrees(commit: string): Promise<Map<string, string>> {
    return this.local.tenantTrees(commit);
  }

  private async fetchHead(): Promise<string | null> {
    const where = redactUrl(this.url);
    try {
      if (!this.initialized) {
        await fs.promises.mkdir(this.gitdir, { recursive: true });
        await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch });
        // fetch needs a remote with a refspec; force: a cache dir reused with another URL follows it.
        await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
        this.initialized = true;
      }
    } catch (error) {
      throw new SourceError(`cannot create the cache repository ${this.gitdir}: ${this.describe(error)}`, { cause: error });
    }

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    let fetchHead: string | null;
    try {
      const token = this.token;
      const result = await git.fetch({
        fs,
        http: { request: (request) => http.request({ ...request, signal: controller.signal }) },
        gitdir: this.gitdir,
        remote: 'origin',
        ref: this.branch,
        singleBranch: true,
        tags: false,
        // A refused token is not offered twice: without onAuthFailure the second 401 throws an HttpError.
        ...(token === undefined ? {} : { onAuth: () => ({ username: 'x-access-token', password: token }) }),
      });
      fetchHead = result.fetchHead;
    } catch (error) {
      if (isMissingRemoteBranch(error, this.branch)) return null;
      const reason = controller.signal.aborted ? this.describe(controller.signal.reason) : this.describe(error);
      throw new SourceError(`cannot fetch ${this.branch} from ${where}: ${reason}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (fetchHead === null) return null;

    try {
      // force: the remote head wins, fast-forward or not (the cache holds no work of its own).
      await git.writeRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}`, value: fetchHead, force: true });
    } catch (error) {
      throw new SourceError(`cannot update ${this.branch} in the cache ${this.gitdir}: ${this.describe(error)}`, { cause: error });
    }
    return fetchHead;
  }

  /** An error's message, with the token (should a server echo it) blanked out. */
  private describe(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return this.token === undefined ? message : message.split(this.token).join('***');
  }
}

/** The remote has no such branch yet (an empty repo): no commit to apply, not an error. */
function isMissingRemoteBranch(error: unknown, branch: string): boolean {
  return error instanceof git.Errors.NotFoundError && error.message.includes(branch);
}
