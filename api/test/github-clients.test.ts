// The product's GitHub clients (src/auth/github-oauth.ts, src/github/github-api.ts) against
// the fake GitHub, which answers as GitHub documents: the token exchange is form-encoded
// unless the client asks for JSON, and a commit status takes only GitHub's four states.
import { GitHubOAuth } from '../src/auth/github-oauth.js';
import { OctokitGitHubApi, type CommitStatus } from '../src/github/github-api.js';
import { FakeGitHub } from './support/fake-github.js';

describe('GitHub clients against the fake GitHub', () => {
  let github: FakeGitHub;
  let oauth: GitHubOAuth;

  beforeAll(async () => {
    github = new FakeGitHub();
    await github.start();
    oauth = new GitHubOAuth({
      clientId: github.clientId,
      clientSecret: github.clientSecret,
      callbackUrl: 'http://127.0.0.1:1/auth/github/callback',
      webUrl: github.url,
      apiUrl: github.url,
    });
  });
  afterAll(async () => {
    await github.stop();
  });

  /** Starts the product's sign-in and consents on the fake: the code and what the browser keeps. */
  async function consent() {
    const { url, pending } = oauth.begin();
    const redirect = await fetch(url, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    return { code, pending };
  }

  it('exchanges the sign-in code asking for JSON, where GitHub would otherwise answer form-encoded', async () => {
    github.user = { id: 77, login: 'hubot' };
    const { code, pending } = await consent();
    const identity = await oauth.complete(code, pending);
    expect(identity).toEqual(expect.objectContaining({ id: 77, login: 'hubot' }));
    expect(identity.accessToken).toMatch(/^gho_[0-9a-f]{32}$/);
    expect(github.tokenExchangeAccepts.at(-1)).toBe('application/json');

    // The same exchange without Accept: GitHub's default, form-encoded.
    const again = await consent();
    const res = await fetch(`${github.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: github.clientId,
        client_secret: github.clientSecret,
        code: again.code,
        redirect_uri: 'http://127.0.0.1:1/auth/github/callback',
        code_verifier: again.pending.codeVerifier,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const fields = new URLSearchParams(await res.text());
    expect(fields.get('access_token')).toMatch(/^gho_[0-9a-f]{32}$/);
    expect(fields.get('token_type')).toBe('bearer');
    expect(fields.get('scope')).toBe('read:user,repo');
  });

  it("posts commit statuses in GitHub's four states; any other state is refused with 422 and recorded nowhere", async () => {
    github.user = { id: 78, login: 'deployer' };
    const { code, pending } = await consent();
    const { accessToken } = await oauth.complete(code, pending);
    const api = new OctokitGitHubApi(github.url);
    const status = (state: string): CommitStatus =>
      ({ owner: 'deployer', repo: 'web', sha: 'a'.repeat(40), state, targetUrl: 'https://dangus.example/d/1', description: `now ${state}` }) as CommitStatus;
    const before = github.statuses.length;

    for (const state of ['pending', 'success', 'failure', 'error']) await api.setCommitStatus(accessToken, status(state));
    expect(github.statuses.slice(before).map((s) => [s.state, s.login, s.context])).toEqual(
      ['pending', 'success', 'failure', 'error'].map((state) => [state, 'deployer', 'dangus-cloud/deploy']),
    );

    await expect(api.setCommitStatus(accessToken, status('building'))).rejects.toThrow('GitHub refused the commit status of deployer/web@aaaaaaa (HTTP 422).');
    expect(github.statuses).toHaveLength(before + 4);
  });
});
