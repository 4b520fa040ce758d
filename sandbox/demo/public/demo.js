// Reference integration of the Flinks Pay checkout BFF: POST /checkout, open launchUrl, follow the
// status to a final one. The functions below are the part to copy; the rest wires this page.

const POLL_INTERVAL_MS = 2000;

/** POSTs JSON; resolves to the parsed answer, rejects with the problem's detail. */
async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.detail ?? `${path} failed (HTTP ${response.status}).`);
  return answer;
}

/** Starts a checkout. Resolves to { requestId, launchUrl }; rejects with the problem's detail. */
function startCheckout(order) {
  return postJson('/checkout', order);
}

/**
 * With signing on, the amount must be signed by the merchant's backend: get an intent from it and
 * send that instead of amount. Your backend knows the cart; this page's stand-in, /demo/intent,
 * signs what it is sent and exists only for the demo.
 */
async function withIntent({ amount, ...order }) {
  const { intent } = await postJson('/demo/intent', { amount });
  return { ...order, intent };
}

/**
 * Shows the Flinks Pay app in `popup` (opened beforehand, see onPay) or, when the browser blocked
 * it, in `frame`. Returns a function that closes it.
 */
function openFlinksApp(launchUrl, popup, frame) {
  if (popup && !popup.closed) {
    popup.location.href = launchUrl;
    return () => popup.close();
  }
  frame.src = launchUrl;
  frame.hidden = false;
  return () => {
    frame.hidden = true;
  };
}

/**
 * Calls onStatus({ requestId, status, referenceId, final }) on every change until a final status.
 * The event stream is the fast path; polling takes over if the stream fails first (a proxy that
 * buffers, a network change), so the outcome is never missed.
 */
function followCheckout(requestId, onStatus) {
  const path = `/checkout/${encodeURIComponent(requestId)}`;
  const events = new EventSource(`${path}/events`);
  events.addEventListener('status', (event) => {
    const status = JSON.parse(event.data);
    // The server ends the stream after a final status; closing first stops EventSource reconnecting.
    if (status.final) events.close();
    onStatus(status);
  });
  // Fires only before a final status (close() ends all events); a 404 from a BFF without the
  // stream lands here too.
  events.addEventListener('error', () => {
    events.close();
    poll();
  });

  async function poll() {
    try {
      const response = await fetch(path);
      if (response.ok) {
        const status = await response.json();
        onStatus(status);
        if (status.final) return;
      }
    } catch {
      // A network error is as transient as a 502 or 504: the next tick asks again.
    }
    setTimeout(poll, POLL_INTERVAL_MS);
  }
}

/**
 * Passes the Flinks app's progress events (APP_MOUNTED, INSTITUTION_SELECTED, SUCCESS, CLOSE, ...)
 * to onStep. They are hints for the UI only: the payment's truth is the server status.
 */
function listenToFlinksApp(launchUrl, onStep) {
  const appOrigin = new URL(launchUrl, window.location.href).origin;
  const listener = (event) => {
    // Any window can post to this one; only the Flinks app's origin is trusted.
    if (event.origin !== appOrigin) return;
    const step = typeof event.data === 'string' ? event.data : event.data?.step;
    if (typeof step === 'string') onStep(step);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}

// ---- Page wiring ------------------------------------------------------------------------------

const OUTCOMES = {
  Settled: 'Settled — payment complete. Thank you for your order!',
  Cancelled: 'Cancelled — the payment was cancelled; nothing was charged.',
  Declined: 'Declined — the bank declined the payment; nothing was charged.',
  Expired: 'Expired — the payment was not completed in time; nothing was charged.',
  Failed: 'Failed — the payment could not be completed; nothing was charged.',
};

const $ = (selector) => document.querySelector(selector);

// Whether POST /checkout wants signed intents, asked once when the page loads.
const demoConfig = fetch('/demo/config')
  .then((response) => response.json())
  .catch(() => ({ signing: false }));

function show(selector, text, className) {
  const element = $(selector);
  element.textContent = text;
  element.hidden = !text;
  if (className) element.className = className;
}

function readOrder() {
  return {
    amount: $('#amount').value.trim(),
    customer: { firstName: $('#first-name').value, lastName: $('#last-name').value, email: $('#email').value },
  };
}

async function onPay(event) {
  event.preventDefault();
  const pay = $('#pay');
  pay.disabled = true;
  ['#outcome', '#error', '#app-step'].forEach((selector) => show(selector, ''));
  show('#status', 'Starting the checkout…');
  // Browsers allow popups only during the click itself, and POST /checkout can outlast it: open
  // the window now and point it at the app once the URL is known. null means it was blocked.
  const popup = window.open('', 'flinks-pay', 'popup,width=480,height=720');
  try {
    const order = (await demoConfig).signing ? await withIntent(readOrder()) : readOrder();
    const { requestId, launchUrl } = await startCheckout(order);
    const closeApp = openFlinksApp(launchUrl, popup, $('#flinks-frame'));
    const stopListening = listenToFlinksApp(launchUrl, (step) => show('#app-step', `Flinks Pay app: ${step}`));
    show('#status', 'Status: Initiated — complete the payment in the Flinks Pay window.');
    followCheckout(requestId, ({ status, final }) => {
      show('#status', `Status: ${status}`);
      if (!final) return;
      stopListening();
      closeApp();
      show('#outcome', OUTCOMES[status] ?? status, `outcome ${status === 'Settled' ? 'success' : 'failure'}`);
      pay.disabled = false;
    });
  } catch (error) {
    popup?.close();
    show('#status', 'Checkout not started.');
    show('#error', error instanceof Error ? error.message : String(error));
    pay.disabled = false;
  }
}

$('#checkout').addEventListener('submit', onPay);
