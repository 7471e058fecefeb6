import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

/**
 * The console's module structure: app.ts is the spine (routes, context, navigation),
 * views import it and the shared modules but never each other, main.ts alone brings the
 * views together, and no import (type-only ones included) closes a cycle.
 */

const SOURCES = join(ROOT, 'web', 'src');

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** `./wire.js` is declarations only (wire.d.ts); every other module is a .ts file. */
const moduleFile = (name: string) => (existsSync(join(SOURCES, `${name}.ts`)) ? `${name}.ts` : `${name}.d.ts`);

/** Each module's imports of other modules of web/src, read from its source. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const name of readdirSync(SOURCES).filter((file) => file.endsWith('.ts'))) {
    const text = readFileSync(join(SOURCES, name), 'utf8');
    const edges: Edge[] = [];
    for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?'\.\/([^']+)\.js'/gms)) {
      edges.push({ to: moduleFile(match[2]!), typeOnly: match[1] !== undefined });
    }
    for (const match of text.matchAll(/\bimport\(\s*'\.\/([^']+)\.js'\s*\)/g)) {
      edges.push({ to: moduleFile(match[1]!), typeOnly: false });
    }
    graph.set(name, edges);
  }
  return graph;
}

const isView = (name: string) => name.startsWith('view-');

test('the import graph of web/src is read (the test sees the modules it checks)', () => {
  const graph = importGraph();
  assert.ok(graph.has('main.ts') && graph.has('app.ts'));
  assert.ok([...graph.keys()].filter(isView).length >= 8);
  for (const [name, edges] of graph) {
    for (const edge of edges) {
      assert.ok(graph.has(edge.to), `${name} imports ${edge.to}, which is not in web/src`);
    }
  }
});

test('no module of web/src imports itself through others, not even for a type', () => {
  const graph = importGraph();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(name)), name].join(' → '));
      return;
    }
    state.set(name, 'open');
    for (const edge of graph.get(name) ?? []) visit(edge.to, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of [...graph.keys()].sort()) visit(name, []);
  assert.deepEqual(cycles, []);
});

test('views import no other view; only main.ts imports views, and app.ts imports none', () => {
  const graph = importGraph();
  const offending: string[] = [];
  for (const [name, edges] of graph) {
    if (name === 'main.ts') continue;
    for (const edge of edges) if (isView(edge.to)) offending.push(`${name} → ${edge.to}`);
  }
  assert.deepEqual(offending, []);
  assert.ok(
    (graph.get('main.ts') ?? []).every((edge) => edge.to === 'app.ts' || isView(edge.to)),
    'main.ts only boots: the spine and the views',
  );
});
