import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_FORM = /^sha256=([0-9a-f]{64})$/i;
/** 32 bytes in standard base64: 43 characters and one "=" (the "=" may be dropped). */
const BASE64_FORM = /^([A-Za-z0-9+/]{43})=?$/;

/** The 32 digest bytes a signature header carries, in either documented form; undefined otherwise. */
function digestOf(header: string): Buffer | undefined {
  const text = header.trim();
  const hex = HEX_FORM.exec(text)?.[1];
  if (hex !== undefined) return Buffer.from(hex, 'hex');
  const base64 = BASE64_FORM.exec(text)?.[1];
  return base64 === undefined ? undefined : Buffer.from(`${base64}=`, 'base64');
}

/**
 * Checks a Flinks webhook signature: HMAC-SHA256 of the raw body bytes with the shared secret,
 * sent as `sha256=<hex>` (GEFT webhooks; upper- or lower-case hex) or as plain base64 (the generic
 * scheme). Compared in constant time; anything else, including no header, is refused.
 */
export function createFlinksSignatureVerifier(secret: string) {
  return (rawBody: Buffer, header: string | undefined): boolean => {
    if (header === undefined) return false;
    const given = digestOf(header);
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    return given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
  };
}
