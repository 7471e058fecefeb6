import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import * as prettier from 'prettier';
import { ApiKeyUserDetails, RoleAssignment } from '../../src/api/schemas/api-keys.js';
import { CertificateDetails, CertificateHolder, InventoryCert } from '../../src/api/schemas/certificates.js';
import { Link } from '../../src/api/schemas/common.js';
import { ConsoleSession } from '../../src/api/schemas/console-session.js';
import {
  CloudDatabaseUser,
  ComponentLabel,
  DatabaseUserRole,
  UserScope,
} from '../../src/api/schemas/database-users.js';
import { Event } from '../../src/api/schemas/events.js';
import { ExpiryAlertSettings, ManagedCa } from '../../src/api/schemas/managed-x509.js';
import { Group, ResourceTag } from '../../src/api/schemas/projects.js';
import { ServiceAccount, ServiceAccountSecret } from '../../src/api/schemas/service-accounts.js';
import { LdapSecuritySettings, UserSecurity, UserToDNMapping } from '../../src/api/schemas/user-security.js';

/**
 * web/src/wire.d.ts: the JSON the console reads, as TypeScript, printed from the same
 * TypeBox schemas the server validates and serializes with. The console cannot import
 * them (its compilation would take in, and emit, server modules), so they are printed;
 * wire.test.ts fails when the file is not what the schemas print now.
 *
 * `npm run wire-types` writes it again.
 */

const WIRE_FILE = fileURLToPath(new URL('../../../web/src/wire.d.ts', import.meta.url));

/** Each name is the schema's own export name, so a search finds both sides. */
const WIRE: Record<string, TSchema> = {
  ApiKeyUserDetails,
  CertificateDetails,
  CertificateHolder,
  CloudDatabaseUser,
  ComponentLabel,
  ConsoleSession,
  DatabaseUserRole,
  Event,
  ExpiryAlertSettings,
  Group,
  InventoryCert,
  LdapSecuritySettings,
  Link,
  ManagedCa,
  ResourceTag,
  RoleAssignment,
  ServiceAccount,
  ServiceAccountSecret,
  UserScope,
  UserSecurity,
  UserToDNMapping,
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A schema of the table met inside another is written by its name. */
function nameOf(schema: TSchema): string | undefined {
  // The same object first: two schemas may print alike (ResourceTag and ComponentLabel do).
  for (const [name, candidate] of Object.entries(WIRE)) if (candidate === schema) return name;
  const text = JSON.stringify(schema);
  for (const [name, candidate] of Object.entries(WIRE)) if (JSON.stringify(candidate) === text) return name;
  return undefined;
}

function comment(schema: TSchema): string {
  const description = schema.description as string | undefined;
  return description ? `/** ${description.replace(/\*\//g, '*\\/')} */\n` : '';
}

function typeOf(schema: TSchema, top = false): string {
  if (!top) {
    const name = nameOf(schema);
    if (name) return name;
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ');
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((member: TSchema) => typeOf(member)).join(' | ');
  if (Array.isArray(schema.allOf)) return schema.allOf.map((member: TSchema) => typeOf(member)).join(' & ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'integer':
      // The console's JSON parser keeps integers past 2^53 exact, as bigints (web/src/json.ts).
      return schema.format === 'int64' ? 'number | bigint' : 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf(schema.items as TSchema);
      return /[ |&]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    case 'object':
      return objectOf(schema);
    case undefined:
      if (Object.keys(schema).every((key) => key === 'description')) return 'unknown';
  }
  throw new Error(`wire-types: no TypeScript form for ${JSON.stringify(schema)}`);
}

function objectOf(schema: TSchema): string {
  const patterns = schema.patternProperties as Record<string, TSchema> | undefined;
  if (patterns) {
    const values = Object.values(patterns).map((value) => typeOf(value));
    return `Record<string, ${values.join(' | ')}>`;
  }
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const members = Object.entries(properties).map(([name, member]) => {
    const key = IDENTIFIER.test(name) ? name : JSON.stringify(name);
    return `${comment(member)}${key}${required.has(name) ? '' : '?'}: ${typeOf(member)};`;
  });
  return `{\n${members.join('\n')}\n}`;
}

/** The file's text, formatted as the project formats its sources. */
export async function wireDeclarations(): Promise<string> {
  const lines = [
    '// Printed by test/console/wire-types.ts from the server schemas (src/api/schemas): do not edit.',
    '// `npm run wire-types` prints it again; test/console/wire.test.ts fails when it is stale.',
    '',
  ];
  for (const [name, schema] of Object.entries(WIRE)) {
    lines.push(`${comment(schema)}export interface ${name} ${typeOf(schema, true)}`, '');
  }
  const options = (await prettier.resolveConfig(WIRE_FILE)) ?? {};
  return prettier.format(lines.join('\n'), { ...options, filepath: WIRE_FILE });
}

export function writtenDeclarations(): string {
  return readFileSync(WIRE_FILE, 'utf8');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  writeFileSync(WIRE_FILE, await wireDeclarations());
  console.log(`wrote ${join('web', 'src', 'wire.d.ts')}`);
}
