import type { GitHubApi } from './github-api.js';

/** What is known of a repository's visibility: `unknown` when GitHub did not answer in time. */
export type Visibility = 'public' | 'hidden' | 'unknown';

/**
 * Whether GitHub repositories are public, asked anonymously and remembered for a while: a
 * service page asks it for an owner without a GitHub token (the local user), whose deploy
 * and builds work only for public repositories. GitHub's anonymous rate limit (60 an hour)
 * and a page that must not wait on GitHub are why answers are kept and waits are short;
 * `unknown` (GitHub did not answer) leaves the action enabled: the deploy itself then says what GitHub answered.
 */
export class RepoVisibility {
  private readonly known = new Map<string, { visibility: Visibility; until: number }>();
  private readonly asking = new Map<string, Promise<Visibility>>();

  constructor(
    private readonly github: GitHubApi,
    private readonly options: { ttlMs?: number; waitMs?: number; retryMs?: number } = {},
  ) {}

  async of(owner: string, repo: string): Promise<Visibility> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.known.get(key);
    if (cached && cached.until > Date.now()) return cached.visibility;
    let asking = this.asking.get(key);
    if (!asking) {
      asking = this.github.repoVisibility(owner, repo).then(
        (visibility) => {
          this.known.set(key, { visibility, until: Date.now() + (this.options.ttlMs ?? 60_000) });
          return visibility;
        },
        () => {
          // GitHub unreachable (an offline laptop): not asked again for a minute.
          this.known.set(key, { visibility: 'unknown', until: Date.now() + (this.options.retryMs ?? 60_000) });
          return 'unknown' as const;
        },
      );
      void asking.finally(() => this.asking.delete(key));
      this.asking.set(key, asking);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'unknown'>((resolve) => {
      timer = setTimeout(() => resolve('unknown'), this.options.waitMs ?? 3_000);
    });
    const answer = await Promise.race([asking, late]);
    clearTimeout(timer);
    return answer;
  }
}
