// Reference integration of the Flinks Pay checkout BFF, with its drop-in browser client
// (docs/browser-client.md): pay() opens the Flinks Pay app (popup, or an overlay when popups are
// blocked), follows the status on the server and settles on it. The call in onPay is the part to
// copy; the rest wires this page.
import { pay } from '/client/flinks-pay-checkout.js';

/**
 * With signing on, the amount must be signed by the merchant's backend: pay() sends its intent
 * instead of the amount. Your backend knows the cart; this page's stand-in, /demo/intent, signs
 * what it is sent and exists only for the demo.
 */
async function fetchIntent(amount) {
  const response = await fetch('/demo/intent', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.detail ?? `/demo/intent failed (HTTP ${response.status}).`);
  return answer.intent;
}

/**
 * The demo's merchant backend, shown beside the shop: what the shop's server learned from the
 * BFF's signed webhooks. It keeps going when the shopper closes the Flinks window or this tab
 * stops following the payment. (A real shop reads its own database; this page asks the demo's.)
 * Returns a function that stops it.
 */
function followMerchantBackend(requestId, onOrder) {
  const path = `/demo/merchant/orders/${encodeURIComponent(requestId)}`;
  const deadline = Date.now() + 10 * 60 * 1000;
  let timer;
  let isStopped = false;
  async function check() {
    try {
      const response = await fetch(path);
      // 204 until the first webhook arrives.
      if (response.status === 200 && !isStopped) {
        const order = await response.json();
        onOrder(order);
        if (order.final) return;
      }
    } catch {
      // Asked again at the next tick.
    }
    if (!isStopped && Date.now() < deadline) timer = setTimeout(check, 1000);
  }
  check();
  return () => {
    isStopped = true;
    clearTimeout(timer);
  };
}

// ---- Page wiring ------------------------------------------------------------------------------

const UNPAID = {
  Cancelled: 'Cancelled — the payment was cancelled; nothing was charged.',
  Declined: 'Declined — the bank declined the payment; nothing was charged.',
  Expired: 'Expired — the payment was not completed in time; nothing was charged.',
  Failed: 'Failed — the payment could not be completed; nothing was charged.',
};

const $ = (selector) => document.querySelector(selector);

// Whether POST /checkout wants signed intents, asked once when the page loads; Pay waits for it
// (pay() must be called during the click, so this cannot be awaited then).
let isSigning = false;
fetch('/demo/config')
  .then((response) => response.json())
  .then((config) => (isSigning = config.signing === true))
  .catch(() => undefined)
  .finally(() => ($('#pay').disabled = false));

// Your order id, which a real shop has on its server. This page keeps it for the tab, so a reload
// is the same order: pay() then resumes its checkout, or resolves at once if it was paid, instead of
// making a second payment. A paid order gets a new one, so the next payment in this tab is a new one.
const ORDER_KEY = 'demo-order-id';
function newOrderId() {
  const id = `demo-${crypto.randomUUID()}`;
  try {
    window.sessionStorage.setItem(ORDER_KEY, id);
  } catch {
    // Storage off (a privacy mode): the order lasts as long as the page.
  }
  return id;
}
let orderId =
  (() => {
    try {
      return window.sessionStorage.getItem(ORDER_KEY);
    } catch {
      return null;
    }
  })() ?? newOrderId();

// Whether the demo's merchant backend receives the BFF's webhooks here (sandbox mode).
const merchantBackend = fetch('/demo/merchant')
  .then((response) => {
    $('#merchant-panel').hidden = !response.ok;
    return response.ok;
  })
  .catch(() => false);

let stopFollowing = () => undefined;

function showMerchantOrder(order) {
  const state = order.paid ? 'PAID' : order.final ? 'NOT PAID' : 'awaiting payment';
  show('#merchant-order', `Order ${order.referenceId}: ${state} (last webhook: ${order.status})`);
  $('#merchant-order').dataset.paid = String(order.paid);
  $('#merchant-events').replaceChildren(
    ...order.events.map((event) => {
      const item = document.createElement('li');
      item.textContent = `${event.status} — webhook-id ${event.webhookId}`;
      return item;
    }),
  );
}

function show(selector, text, className) {
  const element = $(selector);
  element.textContent = text;
  element.hidden = !text;
  if (className) element.className = className;
}

/** The form's fields by the path a refusal names them with, and the label the shopper sees. */
const FIELDS = {
  amount: { selector: '#amount', label: 'Total' },
  'customer.firstName': { selector: '#first-name', label: 'First name' },
  'customer.lastName': { selector: '#last-name', label: 'Last name' },
  'customer.email': { selector: '#email', label: 'E-mail' },
};

/**
 * Marks the fields a refusal names (aria-invalid, described by the error) and says what is wrong
 * with each by its label; the first one gets the focus. Returns whether any field was named.
 */
function showFieldErrors(errors) {
  for (const { selector } of Object.values(FIELDS)) {
    $(selector).removeAttribute('aria-invalid');
    $(selector).removeAttribute('aria-describedby');
  }
  const named = (errors ?? []).filter((error) => FIELDS[error.path]);
  if (named.length === 0) return false;
  for (const error of named) {
    $(FIELDS[error.path].selector).setAttribute('aria-invalid', 'true');
    $(FIELDS[error.path].selector).setAttribute('aria-describedby', 'error');
  }
  show('#error', named.map((error) => `${FIELDS[error.path].label}: ${error.message}`).join('. '));
  $(FIELDS[named[0].path].selector).focus();
  return true;
}

function readOrder() {
  return {
    amount: $('#amount').value.trim(),
    customer: { firstName: $('#first-name').value, lastName: $('#last-name').value, email: $('#email').value },
  };
}

function onPay(event) {
  event.preventDefault();
  const button = $('#pay');
  button.disabled = true;
  ['#outcome', '#error', '#app-step'].forEach((selector) => show(selector, ''));
  showFieldErrors([]);
  show('#status', 'Starting the checkout…');
  let lastStatus = 'Initiated';
  const { amount, customer } = readOrder();
  // Called during the click, before any await: pay() opens the popup right away.
  pay({
    customer,
    ...(isSigning ? { intent: () => fetchIntent(amount) } : { amount, referenceId: orderId }),
    onCheckout: async ({ requestId }) => {
      show('#status', 'Status: Initiated — complete the payment in the Flinks Pay window.');
      if (await merchantBackend) {
        show('#merchant-order', 'Order placed; waiting for the payment webhook…');
        $('#merchant-events').replaceChildren();
        // One order followed at a time: paying again (a resumed checkout too) stops the last one.
        stopFollowing();
        stopFollowing = followMerchantBackend(requestId, showMerchantOrder);
      }
    },
    onStatus: ({ status }) => {
      lastStatus = status;
      show('#status', `Status: ${status}`);
    },
    onEvent: ({ step }) => {
      show('#app-step', `Flinks Pay app: ${step}`);
      // The shopper is done in the app; until Flinks Pay confirms it, "complete the payment" would be wrong.
      if (step === 'SUCCESS' && lastStatus === 'Initiated')
        show('#status', 'Status: Initiated — submitted in the Flinks Pay window; waiting for Flinks Pay to confirm it.');
    },
  })
    .then(({ status }) => {
      // Accepted (approved at the bank) already guarantees the funds: no need to wait for Settled.
      show('#outcome', `${status} — payment complete. Thank you for your order!`, 'outcome success');
      orderId = newOrderId();
    })
    .catch((error) => {
      if (error.paid === false && error.final) {
        show('#outcome', UNPAID[error.status] ?? error.status, 'outcome failure');
      } else if (error.paid === false) {
        show('#status', 'The Flinks Pay window was closed before the payment was done; Pay resumes it.');
      } else {
        show('#status', 'Checkout not started.');
        if (!showFieldErrors(error.errors)) show('#error', error instanceof Error ? error.message : String(error));
      }
    })
    .finally(() => {
      button.disabled = false;
      // Disabling the focused button dropped focus to the page (and the app's window or overlay took
      // it meanwhile): give it back, so a keyboard user goes on from Pay instead of the top of the page.
      if (document.activeElement === document.body || document.activeElement === null) button.focus();
    });
}

$('#checkout').addEventListener('submit', onPay);
