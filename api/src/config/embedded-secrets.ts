import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from './config.js';

const storedSecretsSchema = z.object({
  encryptionKey: z.string().refine((v) => Buffer.from(v, 'base64').length === 32),
  sessionSecret: z.string().min(32),
});

/** Where the embedded default keeps the secrets it generated for itself. */
export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

/**
 * Fills ENCRYPTION_KEY and SESSION_SECRET when they are missing, in the embedded
 * default only (no DATABASE_URL): generated once into the data dir, reused on
 * every later start so that encrypted rows stay readable. A production install
 * never reaches this function (loadConfig demands both there).
 */
export async function withEmbeddedSecrets(config: Config): Promise<Config & { sessionSecret: string; encryption: { key: Buffer } }> {
  if (config.encryption.key && config.sessionSecret) {
    return { ...config, sessionSecret: config.sessionSecret, encryption: { ...config.encryption, key: config.encryption.key } };
  }
  if (config.databaseUrl !== undefined) {
    throw new Error('Secrets are only generated in the embedded default (no DATABASE_URL).');
  }
  const file = secretsFile(config.dataDir);
  let stored: z.infer<typeof storedSecretsSchema>;
  try {
    stored = storedSecretsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} is unreadable; fix or remove it (encrypted data needs the same key).`, { cause: error });
    }
    stored = { encryptionKey: randomBytes(32).toString('base64'), sessionSecret: randomBytes(32).toString('base64url') };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  return {
    ...config,
    sessionSecret: config.sessionSecret ?? stored.sessionSecret,
    encryption: { ...config.encryption, key: config.encryption.key ?? Buffer.from(stored.encryptionKey, 'base64') },
  };
}
