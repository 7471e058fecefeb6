import { h, uid } from './dom.js';

/** Small list editors for database-user forms: roles, and labels. */

export interface Role {
  roleName: string;
  databaseName: string;
  collectionName?: string;
}

export interface Label {
  key: string;
  value: string;
}

// The built-in roles Atlas grants to database users (custom roles are typed in).
const BUILT_IN_ROLES = [
  'read',
  'readWrite',
  'dbAdmin',
  'readAnyDatabase',
  'readWriteAnyDatabase',
  'dbAdminAnyDatabase',
  'clusterMonitor',
  'enableSharding',
  'backup',
  'atlasAdmin',
];

let rolesListId: string | undefined;
function rolesDatalist(): string {
  if (rolesListId && document.getElementById(rolesListId)) return rolesListId;
  rolesListId = uid('roles');
  document.body.appendChild(
    h(
      'datalist',
      { id: rolesListId },
      BUILT_IN_ROLES.map((role) => h('option', { value: role })),
    ),
  );
  return rolesListId;
}

interface ListEditor<T> {
  element: HTMLFieldSetElement;
  values(): T[];
}

function listEditor<T>(options: {
  legend: string;
  itemName: string;
  initial: T[];
  columns: Array<{
    label: string;
    name: keyof T & string;
    required: boolean;
    list?: () => string;
    placeholder?: string;
  }>;
  minimum: number;
}): ListEditor<T> {
  const rows = h('div', { class: 'list-rows' });
  const addRow = (item?: Partial<T>) => {
    const index = rows.children.length + 1;
    const inputs = options.columns.map((column) => {
      const id = uid('item');
      const input = h('input', {
        id,
        type: 'text',
        name: column.name,
        required: column.required,
        list: column.list?.(),
        placeholder: column.placeholder,
        autocomplete: 'off',
        spellcheck: 'false',
      });
      const initial = item?.[column.name];
      if (typeof initial === 'string') input.value = initial;
      return h('div', { class: 'field' }, h('label', { for: id }, column.label), input);
    });
    const line: HTMLDivElement = h(
      'div',
      { class: 'list-row' },
      inputs,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'aria-label': `Remove ${options.itemName} ${index}`,
          onclick: () => {
            if (rows.children.length <= options.minimum) return;
            line.remove();
            (rows.querySelector('input') as HTMLInputElement | null)?.focus();
          },
        },
        'Remove',
      ),
    );
    rows.appendChild(line);
    return line;
  };
  for (const item of options.initial) addRow(item);
  while (rows.children.length < options.minimum) addRow();
  const element = h(
    'fieldset',
    { class: 'list-editor' },
    h('legend', null, options.legend),
    rows,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        onclick: () => addRow().querySelector('input')?.focus(),
      },
      `Add ${options.itemName}`,
    ),
  );
  return {
    element,
    values: () =>
      [...rows.children].map((line) => {
        const value: Record<string, string> = {};
        for (const input of line.querySelectorAll('input')) {
          if (input.value.trim() !== '') value[input.name] = input.value.trim();
        }
        return value as T;
      }),
  };
}

export function rolesEditor(initial: Role[]): ListEditor<Role> {
  return listEditor<Role>({
    legend: 'Database roles',
    itemName: 'role',
    initial,
    minimum: 1,
    columns: [
      { label: 'Role', name: 'roleName', required: true, list: rolesDatalist, placeholder: 'readWrite' },
      { label: 'Database', name: 'databaseName', required: true, placeholder: 'app' },
      { label: 'Collection (optional)', name: 'collectionName', required: false },
    ],
  });
}

export function labelsEditor(initial: Label[]): ListEditor<Label> {
  const editor = listEditor<Label>({
    legend: 'Labels (optional)',
    itemName: 'label',
    initial,
    minimum: 0,
    columns: [
      { label: 'Key', name: 'key', required: true },
      { label: 'Value', name: 'value', required: true },
    ],
  });
  return editor;
}
