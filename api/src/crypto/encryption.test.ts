import { randomBytes } from 'node:crypto';
import { DecryptionError, Encryptor } from './encryption.js';

describe('Encryptor (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const encryptor = new Encryptor('k1', key);

  it.each(['', 'secret', 'ünïcödé 😀', 'x'.repeat(100_000)])('round-trips %#', (plaintext) => {
    expect(encryptor.decrypt(encryptor.encrypt(plaintext))).toBe(plaintext);
  });

  it('uses a fresh IV each time and prefixes the key id', () => {
    const a = encryptor.encrypt('same');
    const b = encryptor.encrypt('same');
    expect(a).not.toBe(b);
    expect(a.startsWith('v1:k1:')).toBe(true);
  });

  it('detects a flipped bit anywhere in IV, tag or data', () => {
    const sealed = encryptor.encrypt('do not touch');
    const raw = Buffer.from(sealed.split(':')[2] ?? '', 'base64');
    for (let i = 0; i < raw.length; i += 1) {
      const tampered = Buffer.from(raw);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => encryptor.decrypt(`v1:k1:${tampered.toString('base64')}`)).toThrow(DecryptionError);
    }
  });

  it.each(['', 'plain text', 'v1:k1', 'v2:k1:AAAA', 'v1:k9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'v1:k1:AAAA:extra'])(
    'refuses %j',
    (value) => {
      expect(() => encryptor.decrypt(value)).toThrow(DecryptionError);
    },
  );

  it('refuses the right format under the wrong key', () => {
    const other = new Encryptor('k1', randomBytes(32));
    expect(() => other.decrypt(encryptor.encrypt('x'))).toThrow(DecryptionError);
  });

  it('decrypts with an old key after rotation, and encrypts with the new one', () => {
    const rotated = new Encryptor('k2', randomBytes(32), new Map([['k1', key]]));
    expect(rotated.decrypt(encryptor.encrypt('old'))).toBe('old');
    expect(rotated.encrypt('new').startsWith('v1:k2:')).toBe(true);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new Encryptor('k1', randomBytes(16))).toThrow(/32 bytes/);
  });
});
