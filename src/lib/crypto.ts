import { fromBase64, toBase64, toHex, utf8 } from "./encoding";

/**
 * Secrets at rest: AES-256-GCM under ENCRYPTION_KEY. Ciphertext is
 * `v1.<key id>.<iv b64>.<ciphertext b64>`; the key id (first 8 hex of SHA-256 of the key)
 * lets a rotated deployment decrypt with ENCRYPTION_KEY_PREVIOUS until everything is
 * re-encrypted. Without a key nothing secret is stored: callers get `null` from
 * `keyringFrom` and answer 503 not_configured.
 */
export interface Keyring {
  current: { id: string; key: CryptoKey };
  previous?: { id: string; key: CryptoKey };
}

const keyringCache = new Map<string, Promise<Keyring | null>>();

async function importKey(b64: string): Promise<{ id: string; key: CryptoKey } | null> {
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64.trim());
  } catch {
    return null;
  }
  if (raw.length !== 32) return null;
  const id = (await sha256Hex(raw)).slice(0, 8);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id, key };
}

/** The keyring for these env values, cached per isolate; null when no usable key is set. */
export function keyringFrom(current: string | undefined, previous?: string): Promise<Keyring | null> {
  if (!current) return Promise.resolve(null);
  const cacheKey = `${current}|${previous ?? ""}`;
  let ring = keyringCache.get(cacheKey);
  if (!ring) {
    ring = (async () => {
      const cur = await importKey(current);
      if (!cur) return null;
      const prev = previous ? await importKey(previous) : null;
      return { current: cur, ...(prev ? { previous: prev } : {}) };
    })();
    keyringCache.set(cacheKey, ring);
  }
  return ring;
}

export async function encryptString(ring: Keyring, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, ring.current.key, utf8(plaintext));
  return `v1.${ring.current.id}.${toBase64(iv)}.${toBase64(ct)}`;
}

export async function decryptString(ring: Keyring, sealed: string): Promise<string> {
  const [version, keyId, ivB64, ctB64] = sealed.split(".");
  if (version !== "v1" || !keyId || !ivB64 || !ctB64) throw new Error("unreadable ciphertext");
  const key =
    keyId === ring.current.id ? ring.current.key : keyId === ring.previous?.id ? ring.previous.key : undefined;
  if (!key) throw new Error("ciphertext was sealed with a key this deployment does not have");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(ivB64) }, key, fromBase64(ctB64));
  return new TextDecoder().decode(pt);
}

/** The key id a ciphertext names (`v1.<key id>.…`), or null when it is not ours. */
export function sealedKeyId(sealed: string): string | null {
  const m = /^v1\.([0-9a-f]{8})\./.exec(sealed);
  return m?.[1] ?? null;
}

/**
 * Re-encrypts a ciphertext under the ring's current key (key rotation). Returns null when
 * it already is; throws when no key of the ring can open it.
 */
export async function reseal(ring: Keyring, sealed: string): Promise<string | null> {
  if (sealedKeyId(sealed) === ring.current.id) return null;
  return encryptString(ring, await decryptString(ring, sealed));
}

export async function encryptJson(ring: Keyring, value: unknown): Promise<string> {
  return encryptString(ring, JSON.stringify(value));
}

export async function decryptJson<T>(ring: Keyring, sealed: string): Promise<T> {
  return JSON.parse(await decryptString(ring, sealed)) as T;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

export type HmacAlgorithm = "sha1" | "sha256" | "sha512";
const HASH_NAMES: Record<HmacAlgorithm, string> = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };

const hmacKeyCache = new Map<string, Promise<CryptoKey>>();

/** HMAC keys are imported once per isolate (the import costs more than the MAC itself). */
function hmacKey(secret: Uint8Array | string, algorithm: HmacAlgorithm): Promise<CryptoKey> {
  const raw = typeof secret === "string" ? utf8(secret) : secret;
  const cacheKey = `${algorithm}:${toBase64(raw)}`;
  let key = hmacKeyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: HASH_NAMES[algorithm] }, false, ["sign"]);
    if (hmacKeyCache.size > 1000) hmacKeyCache.clear();
    hmacKeyCache.set(cacheKey, key);
  }
  return key;
}

export async function hmac(
  secret: Uint8Array | string,
  message: string | Uint8Array,
  algorithm: HmacAlgorithm = "sha256",
): Promise<Uint8Array> {
  const key = await hmacKey(secret, algorithm);
  const sig = await crypto.subtle.sign("HMAC", key, typeof message === "string" ? utf8(message) : message);
  return new Uint8Array(sig);
}

/** Constant-time comparison of two strings (length leaks, content does not). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const ab = utf8(a);
  const bb = utf8(b);
  if (ab.length !== bb.length) {
    // Compare against itself so the time does not depend on where the strings differ.
    crypto.subtle.timingSafeEqual(ab, ab);
    return false;
  }
  return crypto.subtle.timingSafeEqual(ab, bb);
}
