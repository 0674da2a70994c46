import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';

const KEY = randomBytes(32).toString('base64');
const production = { DATABASE_URL: 'postgres://u:p@db:5432/dangus', ENCRYPTION_KEY: KEY, SESSION_SECRET: 'x'.repeat(32) };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('with no environment, gives the embedded default on loopback with local sign-in', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://127.0.0.1:3000',
      databaseUrl: undefined,
      dataDir: './.dangus',
      localAuth: true,
      secureCookies: false,
      webhookBaseUrl: 'http://127.0.0.1:3000/webhooks/github',
      stateRepoDir: './.dangus/state-repo',
    });
  });

  it('with OAuth configured, turns local sign-in off unless AUTH_LOCAL=true', () => {
    const oauth = { GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' };
    expect(loadConfig(oauth).localAuth).toBe(false);
    expect(loadConfig({ ...oauth, AUTH_LOCAL: 'true' }).localAuth).toBe(true);
  });

  it('takes a GitHub App from GITHUB_APP_*, all six or none, with the key\'s \\n escapes unescaped', () => {
    const app = {
      GITHUB_APP_ID: '12345',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----',
      GITHUB_APP_WEBHOOK_SECRET: 'hook',
      GITHUB_APP_CLIENT_ID: 'Iv23li',
      GITHUB_APP_CLIENT_SECRET: 'client-secret',
      GITHUB_APP_SLUG: 'my-dangus',
    };
    const config = loadConfig(app);
    expect(config.github.app).toEqual({
      appId: 12345,
      slug: 'my-dangus',
      clientId: 'Iv23li',
      clientSecret: 'client-secret',
      privateKey: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----',
      webhookSecret: 'hook',
    });
    expect(config.localAuth).toBe(false);
    expect(loadConfig({}).github.app).toBeUndefined();
    const { GITHUB_APP_SLUG: _slug, GITHUB_APP_CLIENT_SECRET: _secret, ...partial } = app;
    expect(problemsOf(partial).map((p) => p.split(':')[0])).toEqual(['GITHUB_APP_CLIENT_SECRET', 'GITHUB_APP_SLUG']);
    expect(problemsOf({ ...app, GITHUB_APP_ID: 'abc' })[0]).toMatch(/^GITHUB_APP_ID: /);
  });

  it("names Flux's GitRepository of FLUX_GITREPOSITORY in the rendered per-tenant Kustomizations, the example's without it", () => {
    expect(loadConfig({}).render.flux).toEqual({ namespace: 'flux-system', source: 'dangus-state' });
    const config = loadConfig({ FLUX_GITREPOSITORY: 'gitops/platform-state' });
    expect(config.fluxGitRepository).toEqual({ namespace: 'gitops', name: 'platform-state' });
    expect(config.render.flux).toEqual({ namespace: 'gitops', source: 'platform-state' });
    expect(problemsOf({ FLUX_GITREPOSITORY: 'no-slash' })).toEqual([expect.stringContaining('FLUX_GITREPOSITORY')]);
  });

  it('off loopback, turns local sign-in off', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PUBLIC_URL: 'https://dangus.example.com' }).localAuth).toBe(false);
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'dangus.lan'])('off loopback (HOST=%s), demands PUBLIC_URL instead of guessing one', (host) => {
    expect(problemsOf({ HOST: host })).toEqual([expect.stringMatching(new RegExp(`^PUBLIC_URL: HOST is ${host.replace(/\./g, '\\.')}, .*set PUBLIC_URL to the URL users open`))]);
    expect(loadConfig({ HOST: host, PUBLIC_URL: 'http://192.168.1.20:3000' }).publicUrl).toBe('http://192.168.1.20:3000');
    expect(loadConfig({ HOST: 'localhost' }).publicUrl).toBe('http://localhost:3000');
  });

  it.each(['0', '65536', '70000', '-1', 'eighty', '3000.5', ''])('refuses PORT=%s with the range it must be in', (port) => {
    expect(problemsOf({ PORT: port })).toEqual([`PORT: must be 1–65535 (it is "${port}"): the one port of the UI, the API and the webhooks.`]);
  });

  it('takes PORT 1 and 65535', () => {
    expect(loadConfig({ PORT: '1' }).port).toBe(1);
    expect(loadConfig({ PORT: ' 65535 ' }).port).toBe(65535);
  });

  it.each([
    ['ENCRYPTION_KEY', 'REPLACE_ME', 'REPLACE_ME'],
    ['SESSION_SECRET', 'changeme', 'changeme'],
    ['GITHUB_CLIENT_ID', 'REPLACE_ME', 'REPLACE_ME'],
    ['STATE_REPO_TOKEN', '<token>', '<token>'],
    ['DATABASE_URL', 'postgres://dangus:REPLACE_ME@db:5432/dangus', 'REPLACE_ME'],
    ['HARBOR_HOST', 'change-me.example.com', 'change-me'],
  ])('refuses %s left as a placeholder, naming the key once', (key, value, placeholder) => {
    const problems = problemsOf({ ...production, [key]: value, ...(key === 'GITHUB_CLIENT_ID' ? { GITHUB_CLIENT_SECRET: 's3cr3t-of-the-app' } : {}) });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${key}: still holds the placeholder "${placeholder}": set`))]);
  });

  it('says a required setting must be set, an optional one may be removed', () => {
    expect(problemsOf({ ...production, ENCRYPTION_KEY: 'REPLACE_ME' })[0]).not.toMatch(/optional/);
    expect(problemsOf({ ...production, GITHUB_CLIENT_ID: 'REPLACE_ME', GITHUB_CLIENT_SECRET: 'REPLACE_ME' })).toEqual([
      expect.stringMatching(/^GITHUB_CLIENT_ID: .*remove the setting if you do not use it \(it is optional\)\.$/),
      expect.stringMatching(/^GITHUB_CLIENT_SECRET: .*remove the setting if you do not use it \(it is optional\)\.$/),
    ]);
  });

  it('refuses an empty secret that DATABASE_URL makes required, naming the key once', () => {
    expect(problemsOf({ ...production, SESSION_SECRET: '' })).toEqual(['SESSION_SECRET: is empty: set it to at least 32 random characters: `openssl rand -base64 48`.']);
    expect(problemsOf({ ...production, ENCRYPTION_KEY: '  ' })).toEqual(['ENCRYPTION_KEY: is empty: set it to base64 of 32 random bytes: `openssl rand -base64 32`.']);
  });

  it('lets optional settings be absent or empty, and real values that merely contain a word pass', () => {
    expect(() => loadConfig({ ...production, GITHUB_CLIENT_ID: '', GITHUB_CLIENT_SECRET: '', HARBOR_USERNAME: '' })).not.toThrow();
    expect(loadConfig({ ...production, BASE_DOMAIN: 'todo.example.com', HARBOR_PROJECT: 'exchange-meetings' }).baseDomain).toBe('todo.example.com');
  });

  it('lists every problem at once, each naming its setting', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      ENCRYPTION_KEY: 'too-short',
      GITHUB_CLIENT_ID: 'only-the-id',
      PUBLIC_URL: 'ftp://x',
      AUTH_LOCAL: 'maybe',
      BASE_DOMAIN: 'Not A Domain',
    });
    expect(problems).toHaveLength(6);
    for (const name of ['PORT', 'ENCRYPTION_KEY', 'GITHUB_CLIENT_SECRET', 'PUBLIC_URL', 'AUTH_LOCAL', 'BASE_DOMAIN']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it.each([
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['not base64', '!'.repeat(44)],
    ['hex of 32 bytes', randomBytes(32).toString('hex')],
  ])('refuses an ENCRYPTION_KEY of %s', (_label, key) => {
    expect(problemsOf({ ENCRYPTION_KEY: key })).toEqual([expect.stringMatching(/^ENCRYPTION_KEY: .*exactly 32 bytes/)]);
  });

  it('in production (DATABASE_URL set), demands ENCRYPTION_KEY and SESSION_SECRET instead of generating them', () => {
    const problems = problemsOf({ DATABASE_URL: production.DATABASE_URL });
    expect(problems).toEqual([
      'ENCRYPTION_KEY: ENCRYPTION_KEY is required when DATABASE_URL is set.',
      'SESSION_SECRET: SESSION_SECRET is required when DATABASE_URL is set.',
    ]);
    expect(loadConfig(production).encryption.key).toEqual(Buffer.from(KEY, 'base64'));
  });

  it('uses https cookies and URLs when PUBLIC_URL is https', () => {
    const config = loadConfig({ ...production, PUBLIC_URL: 'https://dangus.example.com/' });
    expect(config.secureCookies).toBe(true);
    expect(config.publicUrl).toBe('https://dangus.example.com');
    expect(config.github.callbackUrl).toBe('https://dangus.example.com/auth/github/callback');
  });

  it('parses old keys for rotation and refuses malformed ones', () => {
    const old = randomBytes(32).toString('base64');
    expect(loadConfig({ ENCRYPTION_OLD_KEYS: `k0:${old}` }).encryption.oldKeys.get('k0')).toEqual(Buffer.from(old, 'base64'));
    expect(problemsOf({ ENCRYPTION_OLD_KEYS: 'k0:short' })).toHaveLength(1);
  });
});
