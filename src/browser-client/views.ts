/*
 * Where the Flinks Pay app is shown: the popup opened during the click, or a modal overlay with an
 * iframe when the browser blocked the popup (or `mode: 'iframe'`).
 */

export interface AppView {
  /** The app's window, the one its events must come from. */
  window: Window | null;
  /** Puts the app away (the payment is settled). */
  close(): void;
}

/**
 * Says in the popup, opened blank during the click, what it waits for: the checkout is made before
 * the app can load there, which takes a moment. Until then the popup shares this page's origin; a
 * window of that name showing another site already cannot be written, and is left as it is.
 */
export function showPreparing(popup: Window): void {
  try {
    const page = popup.document;
    page.title = 'Flinks Pay';
    page.body.append(element('p', 'margin:40vh 16px 0;font:16px system-ui,sans-serif;color:#1d2330;text-align:center', 'Preparing your payment…'));
  } catch {
    // Another origin's page: the app replaces it all the same.
  }
}

/** Shows the app in `popup` (opened blank during the click); `onClosed` when the shopper closes it. */
export function showInPopup(popup: Window, launchUrl: string, onClosed: () => void): AppView {
  // Closed while the checkout was being made: the first tick reports it, as any close.
  if (!popup.closed) popup.location.href = launchUrl;
  const timer = setInterval(() => {
    if (!popup.closed) return;
    clearInterval(timer);
    onClosed();
  }, 400);
  return {
    window: popup,
    close: () => {
      clearInterval(timer);
      popup.close();
    },
  };
}

const BUTTON = 'width:auto;margin:0;padding:8px 14px;font:inherit;color:#1d2330;background:#fff;border:1px solid #8a94a6;border-radius:6px';

/** An element styled through the CSSOM, which a strict style-src allows (it would block a style attribute). */
function element<K extends keyof HTMLElementTagNameMap>(tag: K, style: string, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const rule of style.split(';')) {
    const [name = '', value = ''] = rule.split(':');
    if (name.trim()) node.style.setProperty(name.trim(), value.trim());
  }
  node.textContent = text;
  return node;
}

function button(text: string, style: string, label?: string): HTMLButtonElement {
  const node = element('button', style, text);
  node.type = 'button';
  if (label) node.setAttribute('aria-label', label);
  return node;
}

/**
 * The app in a modal dialog over the page: labelled for screen readers, focus kept inside, Escape
 * (outside the app's own frame) or the close button ask first; "Leave" removes it and calls
 * `onClosed`. Focus goes back where it was.
 */
export function showInOverlay(launchUrl: string, onClosed: () => void): AppView {
  const before = document.activeElement;
  const overlay = element(
    'div',
    'position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;background:rgba(16,24,40,.6)',
  );
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-modal', 'true');
  overlay.setAttribute('aria-label', 'Pay with Interac e-Transfer (Flinks Pay)');
  overlay.dataset.flinksPay = 'overlay';
  const panel = element(
    'div',
    'position:relative;display:flex;flex-direction:column;width:min(480px,100vw);height:min(720px,100dvh);background:#fff;border-radius:8px;overflow:hidden',
  );
  const close = button('×', `${BUTTON};align-self:flex-end;margin:4px;border:0;font-size:20px`, 'Close the payment');
  const frame = element('iframe', 'flex:1;width:100%;height:auto;margin:0;border:0;border-radius:0');
  frame.title = 'Flinks Pay';
  frame.src = launchUrl;
  const confirm = element(
    'div',
    'position:absolute;inset:auto 0 0 0;display:flex;flex-wrap:wrap;gap:8px;padding:16px;background:#fff;border-top:1px solid #d8dde6',
  );
  const question = element('p', 'flex-basis:100%;margin:0', 'Leave this payment? It is not finished.');
  question.id = 'flinks-pay-leave-question';
  confirm.setAttribute('role', 'group');
  confirm.setAttribute('aria-labelledby', question.id);
  const stay = button('Keep paying', BUTTON);
  const leave = button('Leave', BUTTON);
  confirm.append(question, stay, leave);
  panel.append(close, frame, confirm);
  overlay.append(panel);
  document.body.append(overlay);

  let isAsking = false;
  const focusables = (): HTMLElement[] => (isAsking ? [stay, leave] : [close, frame]);
  const askToLeave = (shouldAsk: boolean): void => {
    isAsking = shouldAsk;
    // Shown and hidden through its inline display, which a hidden attribute would not override.
    confirm.style.setProperty('display', shouldAsk ? 'flex' : 'none');
    (shouldAsk ? stay : frame).focus();
  };
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      // Escape asks before leaving; asked already, it answers "Keep paying", as Escape closes a question.
      event.preventDefault();
      askToLeave(!isAsking);
    } else if (event.key === 'Tab') {
      const list = focusables();
      const at = list.indexOf(document.activeElement as HTMLElement);
      event.preventDefault();
      list[(at + (event.shiftKey ? -1 : 1) + list.length) % list.length]?.focus();
    }
  };
  // Focus that leaves the dialog (tabbing past the app's last field) is brought back.
  const onFocus = (event: FocusEvent): void => {
    if (!overlay.contains(event.target as Node)) focusables()[0]?.focus();
  };
  askToLeave(false);
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('focusin', onFocus, true);
  close.addEventListener('click', () => {
    askToLeave(true);
  });
  stay.addEventListener('click', () => {
    askToLeave(false);
  });
  const remove = (): void => {
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('focusin', onFocus, true);
    overlay.remove();
    if (before instanceof HTMLElement) before.focus();
  };
  leave.addEventListener('click', () => {
    remove();
    onClosed();
  });
  return { window: frame.contentWindow, close: remove };
}
