import { type Child, h, uid } from './dom.js';

/**
 * Modal dialogs on the native <dialog> element: the rest of the page is inert while one
 * is open, Tab and Shift+Tab cycle through its controls only, Escape closes it, and focus
 * goes back to whatever opened it.
 */

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface OpenDialog {
  element: HTMLDialogElement;
  body: HTMLDivElement;
  /** Closes it (asking first, for a dialog with `confirmClose`). */
  close(): void;
  closed: Promise<void>;
}

export interface DialogOptions {
  describedBy?: string;
  /**
   * Asked before the dialog closes, however it is asked to (Escape, a button, the
   * browser's own close request): it stays open unless this resolves true.
   */
  confirmClose?: () => Promise<boolean>;
}

export function openDialog(title: string, content: Child[], options: DialogOptions = {}): OpenDialog {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'dialog-body' }, content);
  const element = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': options.describedBy },
    h('h2', { id: titleId }, title),
    body,
  );
  const { confirmClose } = options;
  let mayClose = confirmClose === undefined;
  let asking = false;
  const requestClose = async () => {
    if (asking) return;
    asking = true;
    try {
      if (!mayClose) mayClose = await confirmClose!();
    } finally {
      asking = false;
    }
    if (mayClose) element.close();
  };
  element.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && confirmClose) {
      // Cancelling the key press keeps the browser from closing the dialog on its own.
      event.preventDefault();
      event.stopPropagation();
      void requestClose();
      return;
    }
    if (event.key !== 'Tab') return;
    const focusable = [...element.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (candidate) => candidate.offsetParent !== null || candidate === document.activeElement,
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  element.addEventListener('cancel', (event) => {
    if (!confirmClose) return;
    event.preventDefault();
    void requestClose();
  });
  let resolveClosed: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  element.addEventListener('close', () => {
    // A close request the page could not cancel: open it again, and ask.
    if (!mayClose) {
      element.showModal();
      void requestClose();
      return;
    }
    element.remove();
    if (opener?.isConnected) opener.focus();
    resolveClosed();
  });
  document.body.appendChild(element);
  element.showModal();
  const autofocus =
    element.querySelector<HTMLElement>('[data-autofocus]') ?? element.querySelector<HTMLElement>(FOCUSABLE);
  autofocus?.focus();
  return { element, body, close: () => void requestClose(), closed };
}

/** Asks for a confirmation; resolves true only for the confirming button. */
export function confirmDialog(options: {
  title: string;
  message: Child[];
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
}): Promise<boolean> {
  let confirmed = false;
  const messageId = uid('dialog-message');
  const dialog = openDialog(
    options.title,
    [
      h('div', { id: messageId }, options.message),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'secondary', 'data-autofocus': true, onclick: () => dialog.close() },
          options.cancelLabel ?? 'Cancel',
        ),
        h(
          'button',
          {
            type: 'button',
            class: options.danger ? 'danger' : 'primary',
            onclick: () => {
              confirmed = true;
              dialog.close();
            },
          },
          options.confirmLabel,
        ),
      ),
    ],
    { describedBy: messageId },
  );
  return dialog.closed.then(() => confirmed);
}
