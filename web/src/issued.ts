import { saveFile } from './api.js';
import { confirmDialog, openDialog } from './dialog.js';
import { h, replace } from './dom.js';
import { formatInstant, serialHex } from './format.js';
import { readPemBlocks, summarizeCertificate } from './x509.js';

/** A file name from a username: letters, digits and `._-` only. */
export function safeFileName(username: string): string {
  return username.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'certificate';
}

/** Copies `text`; false when the browser does not let the page write the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Keeps a secret shown once from being lost by accident: until `saved()` says it was
 * downloaded or copied, closing the dialog (Escape, Close, the browser's own close
 * request) asks first, and leaving the page makes the browser ask.
 */
export function guardSecret(
  saved: () => boolean,
  what: string,
): {
  confirmClose: () => Promise<boolean>;
  release: () => void;
} {
  const beforeUnload = (event: BeforeUnloadEvent) => {
    if (saved()) return;
    event.preventDefault();
    event.returnValue = '';
  };
  window.addEventListener('beforeunload', beforeUnload);
  return {
    confirmClose: async () =>
      saved() ||
      confirmDialog({
        title: `Close without saving the ${what}?`,
        message: [
          h('p', null, `dbcerts does not keep the ${what}: once this closes, nobody can show it again.`),
          h('p', null, 'Download or copy it first, unless you mean to throw it away.'),
        ],
        cancelLabel: 'Keep it open',
        confirmLabel: `Close and lose the ${what}`,
        danger: true,
      }),
    release: () => window.removeEventListener('beforeunload', beforeUnload),
  };
}

/**
 * The one chance to save what was issued: the certificate (with its serial) and, when
 * dbcerts generated the key, the private key. The PEM lives in this dialog only; dbcerts
 * kept no copy of the key.
 */
export function showIssued(username: string, pem: string): Promise<void> {
  const blocks = readPemBlocks(pem);
  const withKey = blocks.some((block) => block.label.endsWith('PRIVATE KEY'));
  const certificatePem =
    (/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(pem)?.[0] ?? pem).trim() + '\n';
  const certificate = blocks.find((block) => block.label === 'CERTIFICATE');
  const summary = certificate ? summarizeCertificate(certificate.der) : undefined;
  const base = safeFileName(username);
  let keySaved = !withKey;
  const status = h('p', { class: 'form-status', role: 'status' });
  const note = (text: string) => replace(status, text);
  const download = (text: string, fileName: string, savesKey: boolean) => {
    saveFile(new Blob([text], { type: 'application/x-pem-file' }), fileName);
    if (savesKey) keySaved = true;
    note(`Downloaded ${fileName}.`);
  };
  const copy = async (text: string, savesKey: boolean) => {
    if (await copyText(text)) {
      if (savesKey) keySaved = true;
      note('Copied to the clipboard.');
    } else {
      note('The browser did not allow copying: open “Show the PEM” below and copy it from there.');
    }
  };
  const guard = guardSecret(() => keySaved, 'private key');
  const serial = summary ? summary.serial.toString() : '?';
  const dialog = openDialog(
    'Certificate issued',
    [
      withKey
        ? h(
            'p',
            { class: 'notice strong' },
            'This is the only time the private key is shown. dbcerts does not keep it: download it or copy it now.',
          )
        : h('p', { class: 'notice' }, 'Your private key never left your machine: this is the certificate alone.'),
      h(
        'dl',
        { class: 'details' },
        h('dt', null, 'Serial'),
        h(
          'dd',
          null,
          h('code', { class: 'issued-serial' }, serial),
          h('span', { class: 'hint' }, ` hex ${serialHex(serial)}`),
        ),
        h('dt', null, 'Subject'),
        h('dd', null, h('code', null, summary?.subject ?? '?')),
        h('dt', null, 'Valid until'),
        h('dd', null, summary ? formatInstant(summary.notAfter) : '?'),
      ),
      h(
        'div',
        { class: 'actions start' },
        withKey
          ? [
              h(
                'button',
                {
                  type: 'button',
                  class: 'primary',
                  'data-autofocus': true,
                  onclick: () => download(pem, `${base}.pem`, true),
                },
                'Download certificate and key',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () => download(certificatePem, `${base}-cert.pem`, false),
                },
                'Download certificate only',
              ),
              h(
                'button',
                { type: 'button', class: 'secondary', onclick: () => copy(pem, true) },
                'Copy certificate and key',
              ),
            ]
          : [
              h(
                'button',
                {
                  type: 'button',
                  class: 'primary',
                  'data-autofocus': true,
                  onclick: () => download(certificatePem, `${base}-cert.pem`, false),
                },
                'Download certificate',
              ),
              h(
                'button',
                { type: 'button', class: 'secondary', onclick: () => copy(certificatePem, false) },
                'Copy certificate',
              ),
            ],
      ),
      status,
      h(
        'details',
        { class: 'pem-text' },
        h('summary', null, 'Show the PEM'),
        h('textarea', { readonly: true, rows: 8, spellcheck: 'false', 'aria-label': 'Issued PEM' }, pem),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'),
      ),
    ],
    { confirmClose: guard.confirmClose },
  );
  return dialog.closed.then(guard.release);
}
