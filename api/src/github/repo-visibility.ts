import type { GitHubApi } from './github-api.js';

/** What is known of a repository's visibility: `unknown` when GitHub did not answer in time. */
export type Visibility = 'public' | 'hidden' | 'unknown';

/**
 * Whether GitHub repositories are public, asked anonymously and remembered for a while: a
 * service page asks it for an owner without a GitHub token (the local user), whose deploy
 * and builds work only for public repositories. GitHub's anonymous rate limit (60 an hour)
 * and a page that must not wait on GitHub are why answers are kept and waits are short.
 */
export class RepoVisibility {
  private readonly known = new Map<string, { visibility: 'public' | 'hidden'; until: number }>();
  private readonly asking = new Map<string, Promise<'public' | 'hidden' | null>>();

  constructor(
    private readonly github: GitHubApi,
    private readonly options: { ttlMs?: number; waitMs?: number } = {},
  ) {}

  async of(owner: string, repo: string): Promise<Visibility> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.known.get(key);
    if (cached && cached.until > Date.now()) return cached.visibility;
    let asking = this.asking.get(key);
    if (!asking) {
      asking = this.github.repoVisibility(owner, repo).then(
        (visibility) => {
          this.known.set(key, { visibility, until: Date.now() + (this.options.ttlMs ?? 300_000) });
          return visibility;
        },
        () => null,
      );
      void asking.finally(() => this.asking.delete(key));
      this.asking.set(key, asking);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.options.waitMs ?? 3_000);
    });
    const answer = await Promise.race([asking, late]);
    clearTimeout(timer);
    return answer ?? 'unknown';
  }
}
