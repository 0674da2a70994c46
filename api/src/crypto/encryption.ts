import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class DecryptionError extends Error {}

/**
 * AES-256-GCM for GitHub tokens, webhook secrets and env values
 * (docs/architecture.md#security-model). A ciphertext reads
 * `v1:{keyId}:{base64(iv | tag | data)}`: the
 * key id lets a new key encrypt while old ones still decrypt (rotation).
 */
export class Encryptor {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly keyId: string,
    key: Buffer,
    oldKeys: ReadonlyMap<string, Buffer> = new Map(),
  ) {
    if (key.length !== 32) throw new Error('The encryption key must be exactly 32 bytes.');
    this.keys = new Map([...oldKeys, [keyId, key]]);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key(this.keyId), iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
  }

  /** Throws DecryptionError when the value was tampered with or its key is unknown. */
  decrypt(ciphertext: string): string {
    const [version, keyId, payload, ...rest] = ciphertext.split(':');
    if (version !== VERSION || !keyId || payload === undefined || rest.length > 0) {
      throw new DecryptionError('Not a ciphertext of this platform.');
    }
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('Ciphertext too short.');
    const decipher = createDecipheriv(ALGORITHM, this.key(keyId), raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new DecryptionError('Ciphertext failed authentication (tampered or wrong key).', { cause: error });
    }
  }

  private key(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new DecryptionError(`Unknown encryption key id "${id}".`);
    return key;
  }
}
