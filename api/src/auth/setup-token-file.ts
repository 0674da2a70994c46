import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SetupTokenSettings } from './first-run-setup.js';

/**
 * The setup link's hash as the installer wrote it last: the Secret dangus-setup mounted
 * as files (SETUP_TOKEN_DIR/SETUP_TOKEN_SHA256, …/SETUP_TOKEN_EXPIRES_AT), read at request
 * time, so a re-run of bootstrap/install.sh takes effect without a restart of the api.
 * Undefined when the files are absent or not a SHA-256 (then no link is configured).
 */
export function setupTokenFromDir(dir: string): () => Promise<SetupTokenSettings | undefined> {
  const read = async (name: string) => {
    try {
      return (await readFile(join(dir, name), 'utf8')).trim();
    } catch {
      return '';
    }
  };
  return async () => {
    const sha256 = await read('SETUP_TOKEN_SHA256');
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const expires = new Date(await read('SETUP_TOKEN_EXPIRES_AT'));
    return { sha256, expiresAt: Number.isNaN(expires.getTime()) ? undefined : expires };
  };
}
