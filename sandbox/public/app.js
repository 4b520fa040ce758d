// The sandbox's stand-in for the hosted Flinks Pay app. It sends the app events Flinks documents
// (shared/flinks-pay-api.md §5) to the merchant window that opened or embeds it, as objects
// { step, ... } like Flinks Connect's, and reports the shopper's decision to the sandbox.
// Sequence: load → APP_MOUNTED, APP_INITIATED, INSTITUTION_SELECTION; bank picked →
// INSTITUTION_SELECTED; approve → SUCCESS; decline → CLOSE with reason DECLINED (Flinks documents
// no decline event; CLOSE is what an integration written from the docs already handles);
// cancel → CLOSE_ATTEMPT, CANCEL_CONFIRMATION, CLOSE (the "are you sure?" screen is skipped).

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
const buttons = ['approve', 'decline', 'cancel'].map((id) => document.getElementById(id));

const RESULTS = {
  approve: (name) => `Payment approved at ${name}.`,
  decline: (name) => `Payment declined at ${name}.`,
  cancel: () => 'Payment cancelled.',
};

function bankName() {
  return bank.selectedOptions[0]?.textContent ?? '';
}

function setBusy(isBusy) {
  for (const control of [bank, ...buttons]) control.disabled = isBusy;
}

function finish(decision, status) {
  result.dataset.status = status;
  result.textContent = `${RESULTS[decision](bankName())} Status: ${status}.`;
  if (decision === 'approve') post({ step: 'SUCCESS', institution: bankName() });
  else if (decision === 'decline') post({ step: 'CLOSE', reason: 'DECLINED' });
  else post({ step: 'CLOSE' });
}

async function decide(decision) {
  error.textContent = '';
  if (decision !== 'cancel' && bank.value === '') {
    error.textContent = 'Choose your bank first.';
    return;
  }
  if (decision === 'cancel') {
    post({ step: 'CLOSE_ATTEMPT' });
    post({ step: 'CANCEL_CONFIRMATION' });
  }
  setBusy(true);
  const body = { decision, ...(bank.value === '' ? {} : { institution: bank.value }) };
  try {
    const response = await fetch(panel.dataset.decisionUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      error.textContent = answer.detail ?? `The sandbox answered ${response.status}.`;
      // 409: decided elsewhere or expired; nothing more can be done on this page.
      if (response.status !== 409) setBusy(false);
      return;
    }
    finish(decision, answer.status);
  } catch {
    error.textContent = 'The sandbox did not answer. Try again.';
    setBusy(false);
  }
}

if (panel) {
  post({ step: 'APP_MOUNTED' });
  post({ step: 'APP_INITIATED' });
  post({ step: 'INSTITUTION_SELECTION' });
  bank.addEventListener('change', () => {
    if (bank.value !== '') post({ step: 'INSTITUTION_SELECTED', institution: bankName() });
  });
  for (const button of buttons) button.addEventListener('click', () => void decide(button.id));
}
