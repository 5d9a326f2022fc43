/**
 * Decrypting a pipeline's secrets (encryptedEnvironment, credentials): a Secret is
 * {keyName, cipherText}. Production: Cloud KMS's decrypt REST method, with the worker's
 * own service account token from the GCE metadata server (what Google's worker did; the
 * VM's service account needs cloudkms.cryptoKeyVersions.useToDecrypt on the key). For
 * tests and machines without KMS: a local AES-256-GCM key (--secret-key FILE), the
 * cipherText being base64 of IV (12 bytes) || ciphertext || tag (16 bytes), which
 * `gaffer-worker encrypt --secret-key FILE` produces.
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'crypto';
import {readFileSync} from 'fs';

export interface SecretJson {
  keyName?: string;
  cipherText?: string;
}

export interface Decryptor {
  /** What it is, for messages ("Cloud KMS", "the local key /etc/...") . */
  readonly description: string;
  /** The plaintext; rejects with a message saying why it can't. */
  decrypt(secret: SecretJson): Promise<Buffer>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key from a file: raw, 64 hex characters, or base64. */
export function readLocalKey(path: string): Buffer {
  const raw = readFileSync(path);
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (raw.length === 32) return raw;
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length === 32) return decoded;
  throw new Error(`${path} does not hold a 32-byte key (raw, 64 hex characters or base64)`);
}

export function encryptWithLocalKey(key: Buffer, plaintext: Buffer | string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64');
}

export class LocalKeyDecryptor implements Decryptor {
  readonly description: string;

  constructor(
    private readonly key: Buffer,
    where = 'a local key',
  ) {
    this.description = where;
  }

  async decrypt(secret: SecretJson): Promise<Buffer> {
    const raw = Buffer.from(secret.cipherText ?? '', 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error(`its cipherText is not a ciphertext of ${this.description}`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`${this.description} does not decrypt it (another key, or a damaged cipherText)`);
    }
  }
}

const METADATA = 'http://metadata.google.internal/computeMetadata/v1';

/** Cloud KMS: POST https://cloudkms.googleapis.com/v1/{keyName}:decrypt with the VM's service account. */
export class KmsDecryptor implements Decryptor {
  readonly description = 'Cloud KMS';

  constructor(private readonly token: () => Promise<string> = metadataAccessToken) {}

  async decrypt(secret: SecretJson): Promise<Buffer> {
    const keyName = secret.keyName ?? '';
    if (!/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.test(keyName)) {
      throw new Error(`keyName must be projects/P/locations/L/keyRings/R/cryptoKeys/K, not ${JSON.stringify(keyName)}`);
    }
    let token: string;
    try {
      token = await this.token();
    } catch (err) {
      throw new Error(`no credentials to call Cloud KMS with (${(err as Error).message}); outside Compute Engine give the worker --secret-key`, {cause: err});
    }
    const res = await fetch(`https://cloudkms.googleapis.com/v1/${keyName}:decrypt`, {
      method: 'POST',
      headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({ciphertext: secret.cipherText ?? ''}),
      signal: AbortSignal.timeout(30_000),
    }).catch((err: Error) => {
      throw new Error(`Cloud KMS could not be reached: ${err.message}`);
    });
    const body = (await res.json().catch(() => ({}))) as {plaintext?: string; error?: {message?: string}};
    if (!res.ok || typeof body.plaintext !== 'string') {
      throw new Error(`Cloud KMS refused to decrypt with ${keyName}: HTTP ${res.status}${body.error?.message ? ` ${body.error.message}` : ''}`);
    }
    return Buffer.from(body.plaintext, 'base64');
  }
}

/** The VM's default service account's access token (GCE metadata server). */
async function metadataAccessToken(): Promise<string> {
  const res = await fetch(`${METADATA}/instance/service-accounts/default/token`, {
    headers: {'Metadata-Flavor': 'Google'},
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`the metadata server answered ${res.status}`);
  const {access_token: token} = (await res.json()) as {access_token?: string};
  if (!token) throw new Error('the metadata server gave no access token');
  return token;
}

/** A secret that decrypts to a JSON object of strings (environment, credentials). */
export async function decryptJson(decryptor: Decryptor, secret: SecretJson, what: string): Promise<Record<string, string>> {
  let plain: Buffer;
  try {
    plain = await decryptor.decrypt(secret);
  } catch (err) {
    throw new Error(`${what}: can't decrypt it with ${decryptor.description}${secret.keyName ? ` (key ${secret.keyName})` : ''}: ${(err as Error).message}`, {cause: err});
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new Error(`${what}: it decrypts to something that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every(v => typeof v === 'string')) {
    throw new Error(`${what}: it must decrypt to a JSON object of strings`);
  }
  return parsed as Record<string, string>;
}
