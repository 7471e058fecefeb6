import { ApiError } from './api.js';
import { errorMessage, field, h, replace, uid } from './dom.js';
import type { ViewContext } from './routes.js';
import { type Credentials, session } from './session.js';

/** Sign-in: an API key (public + private key) or a service account (client id + secret). */
export function renderSignIn(context: ViewContext, message: string | undefined, next: string): void {
  const status = h('div', { class: 'form-status' });

  function form(kind: 'apiKey' | 'serviceAccount'): HTMLFormElement {
    const first = h('input', {
      type: 'text',
      name: kind === 'apiKey' ? 'publicKey' : 'clientId',
      autocomplete: 'username',
      required: true,
      spellcheck: 'false',
      autocapitalize: 'none',
    });
    const second = h('input', {
      type: 'password',
      name: kind === 'apiKey' ? 'privateKey' : 'clientSecret',
      autocomplete: 'current-password',
      required: true,
    });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
    return h(
      'form',
      {
        class: 'stack',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          submit.disabled = true;
          replace(status, h('p', { role: 'status' }, 'Signing in…'));
          const credentials: Credentials =
            kind === 'apiKey'
              ? { publicKey: first.value.trim(), privateKey: second.value }
              : { clientId: first.value.trim(), clientSecret: second.value };
          try {
            await session.signIn(credentials);
            second.value = '';
            context.signedIn(next.startsWith('#/') && next !== '#/signin' ? next : '#/projects');
          } catch (error) {
            const text =
              error instanceof ApiError && error.status === 401
                ? 'These credentials were not accepted. Check the key and try again.'
                : error instanceof Error
                  ? error.message
                  : String(error);
            replace(status, errorMessage(text));
            second.focus();
          } finally {
            submit.disabled = false;
          }
        },
      },
      kind === 'apiKey'
        ? [field('Public key', first), field('Private key', second)]
        : [field('Client ID', first, 'Starts with mdb_sa_id_'), field('Client secret', second)],
      h('div', { class: 'actions' }, submit),
    );
  }

  const tabs = [
    { id: uid('tab'), panel: uid('panel'), label: 'API key', form: form('apiKey') },
    { id: uid('tab'), panel: uid('panel'), label: 'Service account', form: form('serviceAccount') },
  ];
  const buttons = tabs.map((tab, index) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: tab.id,
        'aria-controls': tab.panel,
        'aria-selected': index === 0 ? 'true' : 'false',
        tabindex: index === 0 ? 0 : -1,
        onclick: () => select(index),
        onkeydown: (event: Event) => {
          const key = (event as KeyboardEvent).key;
          if (key !== 'ArrowRight' && key !== 'ArrowLeft' && key !== 'Home' && key !== 'End') return;
          event.preventDefault();
          const next =
            key === 'Home'
              ? 0
              : key === 'End'
                ? tabs.length - 1
                : (index + (key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
          select(next);
          buttons[next]!.focus();
        },
      },
      tab.label,
    ),
  );
  const panels = tabs.map((tab, index) =>
    h('div', { role: 'tabpanel', id: tab.panel, 'aria-labelledby': tab.id, hidden: index !== 0 }, tab.form),
  );
  function select(selected: number): void {
    buttons.forEach((button, index) => {
      button.setAttribute('aria-selected', index === selected ? 'true' : 'false');
      button.tabIndex = index === selected ? 0 : -1;
      panels[index]!.hidden = index !== selected;
    });
    replace(status);
  }

  replace(
    context.main,
    h(
      'section',
      { class: 'signin card' },
      h('h1', null, 'Sign in to dbcerts'),
      h(
        'p',
        null,
        'Use an API key of your organization, or a service account. The console can do exactly what its roles allow.',
      ),
      message ? h('p', { class: 'notice', role: 'status' }, message) : null,
      h('div', { role: 'tablist', 'aria-label': 'Credentials', class: 'tabs' }, buttons),
      panels,
      status,
      h(
        'p',
        { class: 'hint' },
        'A session ends when you sign out, after a while without activity (15 minutes by default), and after 8 hours in any case.',
      ),
    ),
  );
}
