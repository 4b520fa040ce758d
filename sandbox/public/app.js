// The sandbox's stand-in for the hosted Flinks Pay app. It posts the ten app events Flinks documents
// (shared/flinks-pay-api.md §5) to the merchant window that opened or embeds it, as objects
// { step, ... } like Flinks Connect's, and reports the shopper's progress to the sandbox.
//   load → APP_MOUNTED, CONFIRMATION (this summary is the confirm page); the session is opened
//     (status Processing) → APP_INITIATED; the bank list is usable → INSTITUTION_SELECTION
//   bank picked → INSTITUTION_SELECTED
//   approve → SUCCESS, only when the answer is a succeeding status (Accepted: approved at the bank,
//     funds guaranteed); an approval the bank or the name check refuses posts nothing
//   decline → CLOSE { reason: "DECLINED" } (Flinks documents no decline event; CLOSE, "payment will
//     not complete", is what an integration written from the docs already handles)
//   cancel → CLOSE_ATTEMPT, then the "are you sure?" panel → CANCEL_CONFIRMATION;
//     "Yes, cancel" → CLOSE; "No, go back" → BACK

const host = window.opener ?? (window.parent === window ? null : window.parent);

function post(event) {
  // '*': the sandbox cannot know the merchant's origin and the events carry nothing secret.
  // Merchants check event.origin on their side and confirm every outcome on the server.
  host?.postMessage(event, '*');
}

const panel = document.getElementById('payment');
const bank = document.getElementById('bank');
const result = document.getElementById('result');
const error = document.getElementById('error');
const confirmation = document.getElementById('cancel-confirmation');
const decisions = ['approve', 'decline', 'cancel'].map((id) => document.getElementById(id));

const RESULTS = {
  approve: (name) => `Payment approved at ${name}.`,
  decline: (name) => `Payment declined at ${name}.`,
  cancel: () => 'Payment cancelled.',
};
const SUCCEEDING = new Set(['Accepted', 'Processed', 'Settled']);

function bankName() {
  return bank.selectedOptions[0]?.textContent ?? '';
}

function setBusy(isBusy) {
  for (const control of [bank, ...decisions]) control.disabled = isBusy;
}

/**
 * POSTs JSON to the sandbox. Resolves to the answer's body, or to undefined after showing why it
 * failed; `retryable` is then false when nothing more can be done here (409: decided or expired).
 */
async function send(url, body) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) return { answer };
    error.textContent = answer.detail ?? `The sandbox answered ${response.status}.`;
    return { retryable: response.status !== 409 };
  } catch {
    error.textContent = 'The sandbox did not answer. Try again.';
    return { retryable: true };
  }
}

function finish(decision, status) {
  result.dataset.status = status;
  result.textContent = `${RESULTS[decision](bankName())} Status: ${status}.`;
  // Every control is disabled now: focus goes to what happened, not to the top of the page.
  result.focus();
  if (decision === 'approve' && SUCCEEDING.has(status)) post({ step: 'SUCCESS', institution: bankName() });
  else if (decision === 'decline') post({ step: 'CLOSE', reason: 'DECLINED' });
  else if (decision === 'cancel') post({ step: 'CLOSE' });
}

async function decide(decision) {
  error.textContent = '';
  if (decision !== 'cancel' && bank.value === '') {
    error.textContent = 'Choose your bank first.';
    bank.setAttribute('aria-invalid', 'true');
    bank.setAttribute('aria-describedby', 'error');
    bank.focus();
    return;
  }
  setBusy(true);
  const { answer, retryable } = await send(panel.dataset.decisionUrl, {
    decision,
    ...(bank.value === '' ? {} : { institution: bank.value }),
  });
  if (answer) finish(decision, answer.status);
  else if (retryable) setBusy(false);
}

function askToCancel() {
  error.textContent = '';
  post({ step: 'CLOSE_ATTEMPT' });
  setBusy(true);
  confirmation.hidden = false;
  // Into the question, on its safe answer: the Cancel button that had focus is disabled now.
  document.getElementById('back').focus();
  post({ step: 'CANCEL_CONFIRMATION' });
}

function answerCancel(isConfirmed) {
  confirmation.hidden = true;
  if (isConfirmed) {
    void decide('cancel');
    return;
  }
  post({ step: 'BACK' });
  setBusy(false);
  // Back where the shopper was, not lost on the page with the panel hidden.
  document.getElementById('cancel').focus();
}

async function open() {
  post({ step: 'APP_MOUNTED' });
  post({ step: 'CONFIRMATION' });
  // Until the sandbox knows the shopper is here (status Processing), nothing can be chosen.
  if (!(await send(panel.dataset.startUrl, {})).answer) return;
  post({ step: 'APP_INITIATED' });
  setBusy(false);
  post({ step: 'INSTITUTION_SELECTION' });
}

if (panel) {
  bank.addEventListener('change', () => {
    bank.removeAttribute('aria-invalid');
    bank.removeAttribute('aria-describedby');
    if (bank.value !== '') post({ step: 'INSTITUTION_SELECTED', institution: bankName() });
  });
  document.getElementById('approve').addEventListener('click', () => void decide('approve'));
  document.getElementById('decline').addEventListener('click', () => void decide('decline'));
  document.getElementById('cancel').addEventListener('click', askToCancel);
  document.getElementById('confirm-cancel').addEventListener('click', () => answerCancel(true));
  document.getElementById('back').addEventListener('click', () => answerCancel(false));
  void open();
}
