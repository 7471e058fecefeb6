import { h, uid } from './dom.js';
import type { ComponentLabel, DatabaseUserRole } from './wire.js';

/** Small list editors for database-user forms: roles, and labels. */

/** The built-in roles Atlas grants to database users (its DatabaseUserRole.roleName). */
const DATABASE_ROLES = ['read', 'readWrite', 'dbAdmin'];
/** …and those MongoDB grants on the admin database only. */
const ADMIN_ROLES = [
  'atlasAdmin',
  'backup',
  'clusterMonitor',
  'dbAdminAnyDatabase',
  'enableSharding',
  'readAnyDatabase',
  'readWriteAnyDatabase',
];

/**
 * What is wrong with these roles, in words, before the server is asked: a name that is
 * neither a built-in role nor one of the project's custom roles, or an admin-only role
 * elsewhere than on `admin`. The server still decides (its answer is shown as it is).
 */
export function roleProblems(roles: DatabaseUserRole[], customRoles: readonly string[]): string[] {
  const problems: string[] = [];
  for (const role of roles) {
    if (!role.roleName || !role.databaseName) continue;
    if (ADMIN_ROLES.includes(role.roleName)) {
      if (role.databaseName !== 'admin' || role.collectionName)
        problems.push(`${role.roleName} is granted on the admin database only (no collection).`);
    } else if (!DATABASE_ROLES.includes(role.roleName) && !customRoles.includes(role.roleName)) {
      problems.push(
        `“${role.roleName}” is neither a built-in role (${[...DATABASE_ROLES, ...ADMIN_ROLES].join(', ')}) nor a custom role of this project.`,
      );
    }
  }
  return problems;
}

function rolesDatalist(customRoles: readonly string[]): string {
  const id = uid('roles');
  document.body.appendChild(
    h(
      'datalist',
      { id, class: 'roles-list' },
      [...DATABASE_ROLES, ...ADMIN_ROLES, ...customRoles].map((role) => h('option', { value: role })),
    ),
  );
  return id;
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

export function rolesEditor(
  initial: DatabaseUserRole[],
  customRoles: readonly string[] = [],
): ListEditor<DatabaseUserRole> {
  document.querySelectorAll('datalist.roles-list').forEach((list) => list.remove());
  const listId = rolesDatalist(customRoles);
  return listEditor<DatabaseUserRole>({
    legend: 'Database roles',
    itemName: 'role',
    initial,
    minimum: 1,
    columns: [
      { label: 'Role', name: 'roleName', required: true, list: () => listId, placeholder: 'readWrite' },
      { label: 'Database', name: 'databaseName', required: true, placeholder: 'app' },
      { label: 'Collection (optional)', name: 'collectionName', required: false },
    ],
  });
}

export function labelsEditor(initial: ComponentLabel[]): ListEditor<ComponentLabel> {
  const editor = listEditor<ComponentLabel>({
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
