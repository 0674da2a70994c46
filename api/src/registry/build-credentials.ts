import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isRepositoryOf, parseScope, ROBOT_ACTIONS, type RefusedScope, type RegistryAccess } from './registry-scopes.js';

/**
 * The registry credential of one build that must not hold the tenant's (a preview of a pull
 * request, whose `RUN` steps may be a fork's code and can read what Kaniko is given): in the
 * bundled mode the platform is the token server, so it mints a name and a random secret that
 * may push and pull exactly one repository, `{project}/{repo}` and its Kaniko cache
 * `{project}/{repo}/cache`, and nothing else, until it expires (the build's deadline and a
 * margin) or is revoked when its build ends. Only the secret's SHA-256 is stored.
 */

/** The prefix of every build credential's name: no tenant robot's (`robot$…`) has it. */
export const BUILD_CREDENTIAL_PREFIX = 'build$';

export interface BuildCredential {
  username: string;
  password: string;
  repository: string;
  expiresAt: Date;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

export class BuildRegistryCredentials {
  constructor(private readonly deps: { db: Pick<DataSource, 'query'>; now?: () => Date }) {}

  /** A new credential for `repository` (no host), valid `seconds` from now. */
  async mint(repository: string, seconds: number): Promise<BuildCredential> {
    const username = `${BUILD_CREDENTIAL_PREFIX}${randomBytes(12).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + seconds * 1000);
    await this.deps.db.query(
      `INSERT INTO build_registry_credentials (username, secret_hash, repository, expires_at) VALUES ($1, $2, $3, $4)`,
      [username, digest(password), repository, expiresAt],
    );
    return { username, password, repository, expiresAt };
  }

  /** The build ended: its credential gets no token any more. Also drops the expired ones. */
  async revoke(username: string): Promise<void> {
    await this.deps.db.query(`DELETE FROM build_registry_credentials WHERE username = $1 OR expires_at < $2`, [username, this.now()]);
  }

  /** The repository these credentials may push to, while valid; null otherwise (unknown, wrong secret, expired). */
  async repositoryOf(username: string, password: string): Promise<{ repository: string; expiresAt: Date } | null> {
    if (!username.startsWith(BUILD_CREDENTIAL_PREFIX)) return null;
    const [row] = await this.deps.db.query<{ secret_hash: string; repository: string; expires_at: Date }[]>(
      `SELECT secret_hash, repository, expires_at FROM build_registry_credentials WHERE username = $1`,
      [username],
    );
    if (!row || row.expires_at.getTime() <= this.now().getTime()) return null;
    const same = timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), Buffer.from(digest(password), 'hex'));
    return same ? { repository: row.repository, expiresAt: row.expires_at } : null;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

/**
 * What a build credential of `repository` gets for the scopes asked: push and pull on the
 * repository itself and its cache, nothing else (no other repository of the project, no
 * catalog, no delete). Pure, as grantScopes.
 */
export function grantBuildScopes(repository: string, scopes: string[]): { access: RegistryAccess[]; refused: RefusedScope[] } {
  const access: RegistryAccess[] = [];
  const refused: RefusedScope[] = [];
  const own = new Set([repository, `${repository}/cache`]);
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    if (!parsed) {
      refused.push({ scope, reason: 'not a scope (type:name:actions)' });
      continue;
    }
    const why =
      parsed.type !== 'repository' || parsed.class !== null
        ? `a build credential has no ${parsed.type} access`
        : !own.has(parsed.name) || !isRepositoryOf(repository.split('/')[0] ?? '', parsed.name)
          ? `outside the build's own repository ${repository}`
          : null;
    const granted = why === null ? parsed.actions.filter((action) => (ROBOT_ACTIONS as readonly string[]).includes(action)) : [];
    const denied = parsed.actions.filter((action) => !granted.includes(action));
    if (denied.length > 0) refused.push({ scope, reason: why ?? `a build credential may not ${denied.join(', ')}` });
    access.push({ type: parsed.type, name: parsed.name, actions: [...new Set(granted)] });
  }
  return { access, refused };
}
