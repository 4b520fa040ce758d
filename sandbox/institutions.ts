import { z } from 'zod';

/*
 * The banks the sandbox app page offers. Made up on purpose (FlinksCapital is the test bank of
 * Flinks' own sandboxes): a tester must never think a real bank was contacted.
 */

export const InstitutionIdSchema = z.enum(['flinks-capital', 'maple-leaf-bank', 'caisse-du-fleuve', 'prairie-sky-credit-union', 'coastal-trust']);
export type InstitutionId = z.infer<typeof InstitutionIdSchema>;

/** In the order the bank picker lists them. */
export const INSTITUTION_NAMES: Readonly<Record<InstitutionId, string>> = {
  'flinks-capital': 'FlinksCapital',
  'maple-leaf-bank': 'Maple Leaf Bank',
  'caisse-du-fleuve': 'Caisse populaire du Fleuve',
  'prairie-sky-credit-union': 'Prairie Sky Credit Union',
  'coastal-trust': 'Coastal Trust of Canada',
};
