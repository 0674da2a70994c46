import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import { UserEntity, type User } from '../db/entities/index.js';
import { uniqueViolation } from './validate.js';

const HASH_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Six random characters of `[a-z0-9]` (docs/architecture.md#names). */
export function randomUserHash(): string {
  let hash = '';
  for (let i = 0; i < 6; i += 1) hash += HASH_ALPHABET.charAt(randomInt(HASH_ALPHABET.length));
  return hash;
}

/** GitHub ids start at 1: id 0 is the embedded default's local user. */
export const LOCAL_GITHUB_ID = '0';

/**
 * Creates the user on first sign-in (with a fresh hash, retried on the rare
 * collision, which the UNIQUE constraint detects) or updates the username and
 * token on later ones.
 */
export async function upsertUser(
  deps: { db: DataSource; encryptor: Encryptor },
  identity: { githubId: string; login: string; accessToken: string },
): Promise<User> {
  const repo = deps.db.getRepository(UserEntity);
  const token = deps.encryptor.encrypt(identity.accessToken);
  const existing = await repo.findOneBy({ githubId: identity.githubId });
  if (existing) {
    await repo.update({ id: existing.id }, { githubUsername: identity.login, githubAccessToken: token });
    return { ...existing, githubUsername: identity.login, githubAccessToken: token };
  }
  for (let attempt = 0; attempt < 10; attempt += 1) {
    try {
      const row = repo.create({
        githubId: identity.githubId,
        githubUsername: identity.login,
        githubAccessToken: token,
        hash: randomUserHash(),
      });
      return await repo.save(row);
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'users_hash_key') continue;
      if (constraint === 'users_github_id_key') {
        // Signed in twice at once: the other request created the row.
        return upsertUser(deps, identity);
      }
      throw error;
    }
  }
  throw new Error('Could not find a free user hash after 10 attempts.');
}
