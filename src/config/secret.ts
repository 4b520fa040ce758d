/**
 * HS256 keys shorter than the hash output (32 bytes) weaken HMAC (RFC 7518 §3.2 requires at least
 * that much), and short human-chosen secrets can be brute-forced offline from any intent seen.
 */
const MIN_SECRET_BYTES = 32;

/** The secret's bytes as HMAC uses them: its UTF-8 encoding, never base64-decoded. */
export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export function isLongEnoughSecret(secret: string): boolean {
  return secretKey(secret).byteLength >= MIN_SECRET_BYTES;
}

export const SECRET_TOO_SHORT = `must be at least ${MIN_SECRET_BYTES} bytes; generate one with \`openssl rand -base64 48\``;

/**
 * Wrapped in matching quotes, '...' or "...": `docker run --env-file` keeps them as part of the value
 * (node --env-file and shells strip them).
 */
export function isQuoted(text: string): boolean {
  return text.length >= 2 && /^(["']).*\1$/s.test(text);
}

export const QUOTED_SECRET = 'expected the value without surrounding quotes (docker --env-file keeps them; write it bare)';
