// Seals sensitive values at rest (onboarding ID numbers, bank accounts, phones) with AES-256-GCM. Every sealed
// value is bound to where it belongs (its owner and field) through the cipher's additional authenticated data: a
// sealed value copied to another merchant's row or into another field fails to open instead of being believed.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** v2: bound to a context (AAD). v1 values were not bound and are refused. */
const VERSION = 'v2';

/** Where a sealed value belongs, e.g. `merchant_profile:mch_…:legal_person.id_number`. */
export type SealContext = string;

export class SealOpenError extends Error {
  constructor() {
    super('a sealed value failed to open: wrong key, altered, or moved from another owner or field');
    this.name = 'SealOpenError';
  }
}

export class Sealer {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the data key must be 32 bytes');
    this.key = key;
  }

  seal(value: unknown, context: SealContext): string {
    if (!context) throw new Error('a sealed value needs its context');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join('.');
  }

  open<T>(sealed: string, context: SealContext): T {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !body || !tag) throw new SealOpenError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return JSON.parse(
        Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8'),
      ) as T;
    } catch {
      throw new SealOpenError();
    }
  }

  /** Never print the key or the sealed values' contents. */
  toJSON(): string {
    return '[secret]';
  }
}

/** The embedded default keeps its key beside its data (mode 0600); production passes HUTONG_DATA_KEY. */
export function dataKeyFromFile(file: string): Buffer {
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
