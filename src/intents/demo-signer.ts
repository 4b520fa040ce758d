import { randomUUID } from 'node:crypto';
import { InputRefusedError } from '../errors/app-errors.js';
import { parseCadAmount } from '../money/cad-amount.js';

/** The demo merchant backend's signer: any amount a checkout would take, under a fresh referenceId. */
export async function mintDemoIntent(secret: string, amount: string | number): Promise<string> {
  const parsed = parseCadAmount(amount);
  if (!parsed.ok) {
    throw new InputRefusedError('The cart amount is not a valid CAD amount.', [{ path: 'amount', message: `is not a valid amount (${parsed.problem})` }]);
  }
  const { mintIntent } = await import('./mint.js');
  return mintIntent(secret, { amount: parsed.amount, referenceId: `demo-${randomUUID()}` });
}
