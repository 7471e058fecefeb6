/**
 * Building the page. Every piece of data reaches the document as text (textContent, or
 * an attribute value set with setAttribute): nothing here parses HTML, so a username like
 * `<img src=x onerror=…>` is shown as those characters and never becomes an element.
 */

export type Child = Node | string | number | bigint | null | undefined | false | Child[];
type Listener = (event: Event) => void;
export type Attributes = Record<string, string | number | boolean | null | undefined | Listener>;

function apply(element: Element, attributes: Attributes | null | undefined): void {
  if (!attributes) return;
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.setAttribute('class', String(value));
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes (`on…` are listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes?: Attributes | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  apply(element, attributes);
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, the same way. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes?: Attributes | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  apply(element, attributes);
  append(element, children);
  return element;
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let uniqueIds = 0;
/** A fresh id for label/control and aria pairs. */
export function uid(prefix = 'id'): string {
  uniqueIds += 1;
  return `${prefix}-${uniqueIds}`;
}

/** A labelled form field: the label names the control, hints are announced with it. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLDivElement {
  const id = control.id || uid('field');
  control.id = id;
  const hintElement = hint !== undefined ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintElement);
}

/** A status badge: the word says it, the color only repeats it. */
export function badge(text: string, kind: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

/**
 * A table with a caption. On a phone (`stacked`) each row becomes a card, every cell
 * labelled by its column (`data-label`); otherwise narrow screens scroll it sideways.
 */
export function table(
  caption: string,
  headers: string[],
  rows: HTMLTableRowElement[],
  options: { stacked?: boolean } = {},
): HTMLDivElement {
  const captionId = uid('caption');
  // Explicit roles: a table laid out as cards (CSS display) stays a table for assistive technology.
  const roles = options.stacked ? { table: 'table', row: 'row', cell: 'cell', header: 'columnheader' } : undefined;
  for (const line of rows) {
    if (roles) line.setAttribute('role', roles.row);
    [...line.cells].forEach((cell, index) => {
      const header = headers[index];
      if (header !== undefined) cell.dataset.label = header;
      if (roles) cell.setAttribute('role', roles.cell);
    });
  }
  return h(
    'div',
    {
      class: options.stacked ? 'table-wrap stacked' : 'table-wrap',
      role: 'region',
      'aria-labelledby': captionId,
      tabindex: 0,
    },
    h(
      'table',
      { role: roles?.table, 'aria-labelledby': roles ? captionId : undefined },
      h('caption', { id: captionId }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          { role: roles?.row },
          headers.map((header) => h('th', { scope: 'col', role: roles?.header }, header)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

export function row(...cells: Child[]): HTMLTableRowElement {
  return h(
    'tr',
    null,
    cells.map((cell) => (cell instanceof HTMLTableCellElement ? cell : h('td', null, cell))),
  );
}

/** A message for assistive technology and sighted users alike. */
export function errorMessage(text: string): HTMLParagraphElement {
  return h('p', { class: 'error', role: 'alert' }, text);
}

/** An error where the content would be, with a way to try again. */
export function errorPanel(text: string, retry: () => void): HTMLDivElement {
  return h(
    'div',
    { class: 'error-panel' },
    errorMessage(text),
    h('button', { type: 'button', class: 'secondary', onclick: retry }, 'Retry'),
  );
}

/** A line that says what the key may not do here, and which role would. */
export function needsRole(text: string): HTMLParagraphElement {
  return h('p', { class: 'hint needs-role' }, text);
}

export function loading(what: string): HTMLParagraphElement {
  return h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
}
