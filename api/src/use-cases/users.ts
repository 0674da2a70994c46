import { randomInt } from 'node:crypto';

const HASH_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Six random characters of `[a-z0-9]` (docs/architecture.md#names). */
export function randomUserHash(): string {
  let hash = '';
  for (let i = 0; i < 6; i += 1) hash += HASH_ALPHABET.charAt(randomInt(HASH_ALPHABET.length));
  return hash;
}
