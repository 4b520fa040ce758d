import { z } from 'zod';

/** Only the shape createLocalJWKSet needs; it checks each key itself. */
const KeySetSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });
type KeySet = z.infer<typeof KeySetSchema>;

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
  const parsed = KeySetSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error('the key set endpoint did not answer a JSON Web Key Set');
  return parsed.data;
}
