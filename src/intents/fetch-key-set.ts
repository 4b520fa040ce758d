import { z } from 'zod';

/** Only the shape createLocalJWKSet needs; it checks each key itself. */
const KeySetSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });
type KeySet = z.infer<typeof KeySetSchema>;

/** A set of many RSA-4096 keys is ~10 KB; without a cap a hostile or broken endpoint could fill our memory. */
const MAX_KEY_SET_BYTES = 64 * 1024;

/**
 * Downloads a JSON Web Key Set: within `timeoutMs` (body included), redirects not followed (the
 * configured URL is the trust anchor), only a 200 with a key set accepted; throws otherwise.
 */
export async function fetchKeySet(url: string, timeoutMs: number): Promise<KeySet> {
  const response = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': 'flinks-pay-bff' },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`the key set endpoint answered HTTP ${response.status}`);
  }
  const parsed = KeySetSchema.safeParse(parseJson(await readCapped(response, MAX_KEY_SET_BYTES)));
  if (!parsed.success) throw new Error('the key set endpoint did not answer a JSON Web Key Set');
  return parsed.data;
}

/** The JSON the text holds, or undefined: JSON.parse's message quotes the text, which is not logged. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The body as text, read chunk by chunk and abandoned as soon as it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    // The lib types leave fetch's chunks untyped; undici yields Uint8Array.
    const chunk: unknown = read.value;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('the key set body is not a byte stream');
    size += chunk.byteLength;
    if (size > maxBytes) {
      // Cancelling stops the download: the rest of the body is never read.
      await reader.cancel();
      throw new Error(`the key set is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
