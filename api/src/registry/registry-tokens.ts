import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import { grantScopes, type RegistryAccess } from './registry-scopes.js';
import { BUILD_CREDENTIAL_PREFIX, BuildRegistryCredentials, grantBuildScopes } from './build-credentials.js';

/**
 * The token server of the bundled registry (distribution's `auth: token`): a client the
 * registry answered 401 asks `GET /registry/token?service=…&scope=…` with a tenant robot's
 * credentials (HTTP Basic) and gets a JWT, signed ES256 with the platform's key, whose
 * `access` claim holds of the scopes asked only what that robot may do (its own
 * project's repositories, push and pull). The registry trusts the key's public half
 * (`GET /registry/jwks.json`, a JSON Web Key Set).
 */

/** How long a token lives: a layer upload that starts within it finishes; a retry asks again. */
export const REGISTRY_TOKEN_SECONDS = 600;

export interface RegistryTokenSettings {
  /** The registry's `service` (the tokens' audience): its `auth.token.service`. */
  service: string;
  /** Who signs: the registry's `auth.token.issuer`. */
  issuer: string;
}

export interface RegistryTokenAnswer {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export type TokenOutcome =
  | { ok: true; answer: RegistryTokenAnswer; access: RegistryAccess[] }
  | { ok: false; status: 400 | 401; code: string; message: string };

interface SigningKey {
  keyId: string;
  key: KeyObject;
  publicJwk: JsonWebKey;
}

export class RegistryTokens {
  private signing: Promise<SigningKey> | undefined;
  /** The one-repository credentials of single builds (previews of pull requests). */
  readonly builds: BuildRegistryCredentials;

  constructor(
    private readonly deps: { db: DataSource; encryptor: Encryptor; logger: Logger; settings: RegistryTokenSettings },
  ) {
    this.builds = new BuildRegistryCredentials({ db: deps.db });
  }

  get settings(): RegistryTokenSettings {
    return this.deps.settings;
  }

  /** The public half of the signing key, as the registry's `jwks` file holds it. */
  async jwks(): Promise<{ keys: JsonWebKey[] }> {
    return { keys: [(await this.signingKey()).publicJwk] };
  }

  /**
   * Answers a token request: credentials (or none: anonymous, granted nothing), the
   * service asked, the scopes asked. Wrong credentials are a 401; scopes not granted
   * are logged, the token holds what is granted.
   */
  async issue(request: { credentials: { username: string; password: string } | null; service: string | null; scopes: string[]; clientId?: string }): Promise<TokenOutcome> {
    const { logger, settings } = this.deps;
    if (request.service !== null && request.service !== settings.service) {
      return { ok: false, status: 400, code: 'UNSUPPORTED', message: `this token server serves the registry "${settings.service}", not "${request.service}"` };
    }
    if (request.credentials?.username.startsWith(BUILD_CREDENTIAL_PREFIX)) return this.issueForBuild(request.credentials, request.scopes, request.clientId);
    let robot: { name: string; project: string } | null = null;
    if (request.credentials) {
      robot = await this.robotOf(request.credentials.username, request.credentials.password);
      if (!robot) {
        logger.warn({ account: request.credentials.username, scopes: request.scopes }, 'registry token refused: unknown robot or wrong secret');
        return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'authentication required: a robot name and secret the platform made' };
      }
    }
    const { access, refused } = grantScopes(robot?.project ?? null, request.scopes);
    for (const scope of refused) {
      logger.warn({ robot: robot?.name ?? null, project: robot?.project ?? null, scope: scope.scope, reason: scope.reason, clientId: request.clientId }, 'registry token: scope refused');
    }
    const token = await this.sign(robot?.name ?? '', access);
    return { ok: true, answer: token, access };
  }

  /**
   * A build's own credential (build-credentials.ts): its one repository, and a token that
   * lives no longer than the credential.
   */
  private async issueForBuild(credentials: { username: string; password: string }, scopes: string[], clientId: string | undefined): Promise<TokenOutcome> {
    const { logger } = this.deps;
    const build = await this.builds.repositoryOf(credentials.username, credentials.password);
    if (!build) {
      logger.warn({ account: credentials.username, scopes }, 'registry token refused: unknown, expired or revoked build credential, or a wrong secret');
      return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'authentication required: a build credential that is still valid' };
    }
    const { access, refused } = grantBuildScopes(build.repository, scopes);
    for (const scope of refused) logger.warn({ build: credentials.username, repository: build.repository, scope: scope.scope, reason: scope.reason, clientId }, 'registry token: scope refused');
    return { ok: true, answer: await this.sign(credentials.username, access, build.expiresAt), access };
  }

  /**
   * A token for the platform itself (image retention, a tenant's deletion): the given
   * access on the bundled registry, never handed to a client.
   */
  async platformToken(access: RegistryAccess[]): Promise<string> {
    return (await this.sign('dangus-platform', access)).token;
  }

  private async sign(subject: string, access: RegistryAccess[], notAfter?: Date): Promise<RegistryTokenAnswer> {
    const { keyId, key } = await this.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const seconds = notAfter ? Math.max(1, Math.min(REGISTRY_TOKEN_SECONDS, Math.floor(notAfter.getTime() / 1000) - now)) : REGISTRY_TOKEN_SECONDS;
    const claims = {
      iss: this.deps.settings.issuer,
      sub: subject,
      aud: this.deps.settings.service,
      exp: now + seconds,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      access,
    };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part({ typ: 'JWT', alg: 'ES256', kid: keyId })}.${part(claims)}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${signature.toString('base64url')}`;
    return { token, access_token: token, expires_in: seconds, issued_at: new Date(now * 1000).toISOString() };
  }

  /** The robot these credentials are, with its project; null for anything else. */
  private async robotOf(username: string, password: string): Promise<{ name: string; project: string } | null> {
    const [row] = await this.deps.db.query<{ robot_name: string; robot_secret: string; harbor_project: string }[]>(
      `SELECT robot_name, robot_secret, harbor_project FROM tenant_registries WHERE robot_name = $1`,
      [username],
    );
    if (!row) return null;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    const secret = this.deps.encryptor.decrypt(row.robot_secret);
    return timingSafeEqual(digest(secret), digest(password)) ? { name: row.robot_name, project: row.harbor_project } : null;
  }

  /** The signing key: made once (the first replica to ask wins), its private half encrypted at rest. */
  private signingKey(): Promise<SigningKey> {
    this.signing ??= this.loadOrCreateKey().catch((error: unknown) => {
      this.signing = undefined;
      throw error;
    });
    return this.signing;
  }

  private async loadOrCreateKey(): Promise<SigningKey> {
    const read = async () => {
      const [row] = await this.deps.db.query<{ key_id: string; private_key: string; public_jwk: JsonWebKey }[]>(
        `SELECT key_id, private_key, public_jwk FROM registry_signing_keys WHERE id = 1`,
      );
      return row ? { keyId: row.key_id, key: createPrivateKey(this.deps.encryptor.decrypt(row.private_key)), publicJwk: row.public_jwk } : null;
    };
    const existing = await read();
    if (existing) return existing;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const keyId = createHash('sha256').update(JSON.stringify([jwk.crv, jwk.x, jwk.y])).digest('base64url').slice(0, 16);
    const publicJwk: JsonWebKey = { ...jwk, kid: keyId, use: 'sig', alg: 'ES256' };
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await this.deps.db.query(
      `INSERT INTO registry_signing_keys (id, key_id, private_key, public_jwk) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`,
      [keyId, this.deps.encryptor.encrypt(pem), JSON.stringify(publicJwk)],
    );
    const made = await read();
    if (!made) throw new Error('the registry signing key could not be stored');
    this.deps.logger.info({ keyId: made.keyId }, 'registry token signing key ready');
    return made;
  }
}
