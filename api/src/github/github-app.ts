import { createHash } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { DataSource, EntityManager } from 'typeorm';
import type { GitHubAppSettings } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import { ConflictError, UpstreamError } from '../errors.js';

/** The App's credentials and where they came from. */
export interface GitHubAppCredentials extends GitHubAppSettings {
  source: 'environment' | 'manifest';
  /** The App's page on GitHub (`{GITHUB_WEB_URL}/apps/{slug}`). */
  htmlUrl: string;
  name: string;
}

/** What `POST /app-manifests/{code}/conversions` answers (the fields kept). */
export interface ManifestConversion {
  id: number;
  slug: string;
  name: string;
  html_url: string;
  owner: { login: string } | null;
  client_id: string;
  client_secret: string;
  pem: string;
  webhook_secret: string | null;
}

/** An installation token: for the repositories and permissions asked, expiring (one hour at most). */
export interface InstallationToken {
  token: string;
  expiresAt: string;
  installationId: number;
}

/** Where a repository is installed: GitHub's ids, so a rename or a transfer keeps it. */
export interface RepositoryInstallation {
  installationId: number;
  repositoryId: number;
  fullName: string;
  private: boolean;
  accountLogin: string;
}

/** Octokit logs failed requests itself; ours become typed errors instead. */
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The platform's GitHub App (docs/architecture.md#github-app): its credentials (the
 * environment's GITHUB_APP_* first, else the App the manifest flow stored, encrypted),
 * the App's JWT and installation tokens through `@octokit/auth-app`, and the lookup of a
 * repository's installation. Every replica reads the same row, so an App connected on one
 * is used by all.
 */
export class GitHubApp {
  private auth: { key: string; auth: ReturnType<typeof createAppAuth> } | undefined;

  constructor(
    private readonly deps: {
      db: DataSource;
      encryptor: Encryptor;
      /** GITHUB_APP_* from the environment, when the operator set them. */
      fromEnvironment: GitHubAppSettings | undefined;
      webUrl: string;
      apiUrl: string;
    },
  ) {}

  get webUrl(): string {
    return this.deps.webUrl;
  }

  get apiUrl(): string {
    return this.deps.apiUrl;
  }

  /** The App's credentials, or undefined when no App is configured or connected. */
  async credentials(): Promise<GitHubAppCredentials | undefined> {
    const env = this.deps.fromEnvironment;
    if (env) return { ...env, source: 'environment', htmlUrl: `${this.deps.webUrl}/apps/${env.slug}`, name: env.slug };
    const [row] = await this.deps.db.query<
      { app_id: string; slug: string; name: string; html_url: string; client_id: string; client_secret: string; private_key: string; webhook_secret: string }[]
    >(`SELECT app_id::text, slug, name, html_url, client_id, client_secret, private_key, webhook_secret FROM github_app`);
    if (!row) return undefined;
    const { encryptor } = this.deps;
    return {
      source: 'manifest',
      appId: Number(row.app_id),
      slug: row.slug,
      name: row.name,
      htmlUrl: row.html_url,
      clientId: row.client_id,
      clientSecret: encryptor.decrypt(row.client_secret),
      privateKey: encryptor.decrypt(row.private_key),
      webhookSecret: encryptor.decrypt(row.webhook_secret),
    };
  }

  /**
   * Stores the App a manifest conversion returned, its secrets encrypted, in one
   * transaction that also deletes every user's OAuth token (`repo` scope): from now on
   * users sign in through the App, and no build uses those tokens. A second App is a
   * conflict: nothing is stored.
   */
  async store(conversion: ManifestConversion, createdBy: string | null): Promise<void> {
    if (this.deps.fromEnvironment) throw new ConflictError('The GitHub App is set in the environment (GITHUB_APP_*): it cannot be replaced from here.');
    const { encryptor } = this.deps;
    await this.deps.db.transaction(async (manager) => {
      const stored = await manager.query<unknown[]>(
        `INSERT INTO github_app (app_id, slug, name, owner_login, html_url, client_id, client_secret, private_key, webhook_secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (singleton) DO NOTHING RETURNING app_id`,
        [
          conversion.id,
          conversion.slug,
          conversion.name.slice(0, 100),
          conversion.owner?.login ?? null,
          conversion.html_url,
          conversion.client_id,
          encryptor.encrypt(conversion.client_secret),
          encryptor.encrypt(conversion.pem),
          encryptor.encrypt(conversion.webhook_secret ?? ''),
          createdBy,
        ],
      );
      if (stored.length === 0) throw new ConflictError('A GitHub App is already connected.');
      await retireOAuthTokens(manager, encryptor);
    });
  }

  /**
   * With an App from the environment, the OAuth tokens users still hold are deleted (the
   * manifest flow does it when it stores its App). Returns how many were; 0 without an App.
   */
  async retireOAuthTokens(): Promise<number> {
    if (!this.deps.fromEnvironment) return 0;
    const encryptor = this.deps.encryptor;
    return this.deps.db.transaction((manager) => retireOAuthTokens(manager, encryptor));
  }

  /** The page where a user installs the App on an account or organization. */
  installUrl(credentials: Pick<GitHubAppCredentials, 'slug'>): string {
    return `${this.deps.webUrl}/apps/${credentials.slug}/installations/new`;
  }

  /** An Octokit authenticated as the App (a fresh RS256 JWT per request), or undefined without an App. */
  async appOctokit(): Promise<Octokit | undefined> {
    const credentials = await this.credentials();
    if (!credentials) return undefined;
    return new Octokit({
      baseUrl: this.deps.apiUrl,
      log: silentLog,
      request: { retries: 0, timeout: 10_000 },
      authStrategy: createAppAuth,
      auth: { appId: credentials.appId, privateKey: credentials.privateKey },
    });
  }

  /** An Octokit with an installation's token (minted for it, every repository it has). */
  async installationOctokit(installationId: number): Promise<Octokit> {
    const { token } = await this.mint({ installationId, permissions: { metadata: 'read' } });
    return new Octokit({ auth: token, baseUrl: this.deps.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  }

  /**
   * An installation token for ONE repository (by GitHub's id), with only the permissions
   * asked (`contents: read` by default): what a build's fetch gets. Never stored.
   * Throws UpstreamError when the repository is in no installation of the App.
   */
  async tokenForRepository(repositoryId: number, permissions: Record<string, 'read' | 'write'> = { contents: 'read' }): Promise<InstallationToken> {
    const installation = await installationOfRepository(this.deps.db, repositoryId);
    if (!installation) throw new UpstreamError(`The GitHub App is not installed on repository ${String(repositoryId)} (or it was removed from the installation).`);
    return this.mint({ installationId: installation.installationId, repositoryIds: [repositoryId], permissions });
  }

  /** Mints an installation token through @octokit/auth-app (which caches it until shortly before it expires). */
  async mint(options: { installationId: number; repositoryIds?: number[]; permissions: Record<string, 'read' | 'write'> }): Promise<InstallationToken> {
    const auth = await this.appAuth();
    try {
      const result = await auth({
        type: 'installation',
        installationId: options.installationId,
        ...(options.repositoryIds ? { repositoryIds: options.repositoryIds } : {}),
        permissions: options.permissions,
      });
      return { token: result.token, expiresAt: result.expiresAt, installationId: options.installationId };
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new UpstreamError(`GitHub refused an installation token for installation ${String(options.installationId)}${status ? ` (HTTP ${String(status)})` : ''}.`, { cause: error });
    }
  }

  private async appAuth(): Promise<ReturnType<typeof createAppAuth>> {
    const credentials = await this.credentials();
    if (!credentials) throw new UpstreamError('No GitHub App is connected.');
    // One auth per App and key, so its token cache lives as long as the credentials do.
    const key = createHash('sha256').update(`${String(credentials.appId)}\n${credentials.privateKey}`).digest('hex');
    if (this.auth?.key !== key) {
      const request = new Octokit({ baseUrl: this.deps.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } }).request;
      this.auth = { key, auth: createAppAuth({ appId: credentials.appId, privateKey: credentials.privateKey, request }) };
    }
    return this.auth.auth;
  }
}

/** The installation that holds `repositoryId` (not suspended), or undefined. */
export async function installationOfRepository(db: DataSource | EntityManager, repositoryId: number): Promise<RepositoryInstallation | undefined> {
  const [row] = await db.query<{ installation_id: string; full_name: string; private: boolean; account_login: string }[]>(
    `SELECT r.installation_id::text, r.full_name, r.private, i.account_login
       FROM github_installation_repositories r JOIN github_installations i ON i.id = r.installation_id
      WHERE r.repository_id = $1 AND NOT i.suspended
      ORDER BY r.installation_id LIMIT 1`,
    [repositoryId],
  );
  return row
    ? { installationId: Number(row.installation_id), repositoryId, fullName: row.full_name, private: row.private, accountLogin: row.account_login }
    : undefined;
}

/**
 * Once an App exists, the OAuth app's `repo` tokens are deleted: the column keeps an
 * encrypted empty string (it is NOT NULL) and the kind says there is none.
 */
async function retireOAuthTokens(manager: EntityManager, encryptor: Encryptor): Promise<number> {
  const [retired] = await manager.query<[{ n: number }]>(
    `WITH retired AS (UPDATE users SET github_access_token = $1, github_token_kind = 'none', updated_at = now() WHERE github_token_kind = 'oauth' RETURNING 1)
     SELECT count(*)::int AS n FROM retired`,
    [encryptor.encrypt('')],
  );
  return retired.n;
}
