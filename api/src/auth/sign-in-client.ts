import type { GitHubApp } from '../github/github-app.js';
import { GitHubOAuth } from './github-oauth.js';

export interface SignInSettings {
  oauth: { clientId: string; clientSecret: string } | undefined;
  callbackUrl: string;
  webUrl: string;
  apiUrl: string;
  readOrgs: boolean;
}

/**
 * The client GitHub sign-in uses now: the GitHub App's once one exists (no `repo` scope),
 * else the OAuth app of GITHUB_CLIENT_ID (existing installs keep it until an admin
 * connects an App). Resolved at each sign-in, so an App connected on any replica is used
 * by all of them.
 */
export class SignInClients {
  private cached: { key: string; client: GitHubOAuth } | undefined;
  private readonly oauth: GitHubOAuth | undefined;

  constructor(
    private readonly settings: SignInSettings,
    private readonly app: GitHubApp | undefined,
  ) {
    this.oauth = settings.oauth ? new GitHubOAuth({ ...settings.oauth, ...this.common() }) : undefined;
  }

  async current(): Promise<GitHubOAuth | undefined> {
    const credentials = await this.app?.credentials();
    if (!credentials) return this.oauth;
    const key = `${credentials.clientId}\n${credentials.clientSecret}`;
    if (this.cached?.key !== key) {
      this.cached = { key, client: new GitHubOAuth({ clientId: credentials.clientId, clientSecret: credentials.clientSecret, githubApp: true, ...this.common() }) };
    }
    return this.cached.client;
  }

  private common() {
    const { callbackUrl, webUrl, apiUrl, readOrgs } = this.settings;
    return { callbackUrl, webUrl, apiUrl, readOrgs };
  }
}
