import { INSTITUTION_NAMES } from './institutions.js';

/*
 * Markup of the sandbox's hosted app page. The element ids (amount, payee, bank, approve, decline,
 * cancel, confirm-cancel, back, result, error) are a contract: the browser tests and merchants' own
 * tests select them.
 * Everything interpolated is escaped; behaviour lives in public/app.js (the CSP allows no inline
 * script or style).
 */

const PAYEE_NAME = 'Flinks Pay Sandbox Merchant';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** "1234.5" → "$1,234.50 CAD". The literal was validated as a positive decimal on initiate. */
export function formatCad(literal: string): string {
  const [whole = '0', cents = ''] = literal.split('.');
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents.padEnd(2, '0')} CAD`;
}

export interface AppView {
  sessionId: string;
  amountLiteral: string;
  payer: string;
  referenceId: string;
}

function shell(title: string, main: string, withScript: boolean): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} - Flinks Pay sandbox</title>`,
    // Relative: the page is always served at .../app/, in the BFF (/sandbox/app/) or alone (/app/).
    '<link rel="stylesheet" href="app.css">',
    withScript ? '<script type="module" src="app.js"></script>' : '',
    '</head>',
    '<body>',
    '<main class="card">',
    '<header class="brand"><span class="logo">Flinks Pay</span><span class="badge">Sandbox</span></header>',
    main,
    '</main>',
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
}

export function appPageHtml(view: AppView): string {
  const options = Object.entries(INSTITUTION_NAMES).map(([id, name]) => `<option value="${escapeHtml(id)}">${escapeHtml(name)}</option>`);
  const sessionUrl = `api/sessions/${encodeURIComponent(view.sessionId)}`;
  return shell(
    'Confirm your payment',
    [
      // The controls start disabled: app.js enables them once the session is opened (APP_INITIATED).
      `<section id="payment" data-start-url="${escapeHtml(`${sessionUrl}/start`)}" data-decision-url="${escapeHtml(`${sessionUrl}/decision`)}">`,
      '<h1>Confirm your payment</h1>',
      '<dl class="summary">',
      `<dt>Amount</dt><dd id="amount">${escapeHtml(formatCad(view.amountLiteral))}</dd>`,
      `<dt>Pay to</dt><dd id="payee">${escapeHtml(PAYEE_NAME)}</dd>`,
      `<dt>From</dt><dd id="payer">${escapeHtml(view.payer)}</dd>`,
      `<dt>Reference</dt><dd id="reference">${escapeHtml(view.referenceId)}</dd>`,
      '</dl>',
      '<label for="bank">Your bank</label>',
      '<select id="bank" name="bank" disabled>',
      '<option value="">Choose your bank</option>',
      ...options,
      '</select>',
      '<div class="actions">',
      '<button id="approve" type="button" class="primary" disabled>Approve</button>',
      '<button id="decline" type="button" disabled>Decline</button>',
      '<button id="cancel" type="button" class="quiet" disabled>Cancel</button>',
      '</div>',
      '<div id="cancel-confirmation" class="confirm" role="alertdialog" aria-labelledby="cancel-question" hidden>',
      '<p id="cancel-question">Cancel this payment? Nothing will be charged.</p>',
      '<div class="actions">',
      '<button id="confirm-cancel" type="button" class="primary">Yes, cancel</button>',
      '<button id="back" type="button">No, go back</button>',
      '</div>',
      '</div>',
      '<p id="result" role="status" aria-live="polite" tabindex="-1"></p>',
      '<p id="error" role="alert"></p>',
      '<p class="note">Sandbox: no bank is contacted and no money moves.</p>',
      '</section>',
    ].join('\n'),
    true,
  );
}

export function errorPageHtml(title: string, message: string, details: string[] = []): string {
  return shell(
    title,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p id="error" role="alert">${escapeHtml(message)}</p>`,
      ...details.map((line) => `<p class="note">${escapeHtml(line)}</p>`),
    ].join('\n'),
    false,
  );
}
