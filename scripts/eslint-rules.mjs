// Project rules for ESLint that need the whole module graph: the folder layering of src,
// import cycles, and exports nobody imports. The graph comes from the TypeScript program
// typescript-eslint already builds for the type-aware rules, so it is walked once per
// program, not once per file.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Which layers each layer of src may import (its own included). */
const LAYERS = {
  domain: ['domain'],
  pki: ['domain', 'pki'],
  store: ['domain', 'store'],
  authority: ['domain', 'pki', 'store', 'authority'],
  api: ['domain', 'authority', 'api'],
  cli: ['domain', 'pki', 'store', 'authority', 'api', 'cli'],
};

function layerOf(file) {
  const parts = path.relative(root, file).split(path.sep);
  return parts[0] === 'src' && parts.length > 2 && parts[1] in LAYERS ? parts[1] : undefined;
}

const relative = (file) => path.relative(root, file).split(path.sep).join('/');

function inProject(sourceFile) {
  return (
    !sourceFile.isDeclarationFile &&
    !sourceFile.fileName.includes('/node_modules/') &&
    !path.relative(root, sourceFile.fileName).startsWith('..')
  );
}

/** The module specifiers a file names statically, with whether only types come through. */
function importsOf(sourceFile) {
  const found = [];
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      found.push({ node: statement, specifier: statement.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isExportDeclaration(statement) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      found.push({ node: statement, specifier: statement.moduleSpecifier.text, typeOnly: statement.isTypeOnly });
    }
  }
  return found;
}

/** Everything the rules need about one program, computed on first use. */
const graphs = new WeakMap();

function graphOf(program) {
  let graph = graphs.get(program);
  if (graph) return graph;
  const options = program.getCompilerOptions();
  const files = program.getSourceFiles().filter(inProject);
  const known = new Set(files.map((file) => file.fileName));
  const resolve = (specifier, from) => {
    const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule?.resolvedFileName;
    return resolved !== undefined && known.has(resolved) ? resolved : undefined;
  };
  /** file -> [{ target, node, typeOnly }] */
  const edges = new Map();
  for (const file of files) {
    const list = [];
    for (const entry of importsOf(file)) {
      const target = resolve(entry.specifier, file.fileName);
      if (target !== undefined) list.push({ ...entry, target });
    }
    edges.set(file.fileName, list);
  }
  graph = { files, edges, resolve, cycles: new Map(), unused: undefined };
  graphs.set(program, graph);
  return graph;
}

/**
 * Strongly connected components over the imports that exist at run time (type-only
 * imports are erased, so they cannot order module evaluation); every file in a
 * component of two or more is in a cycle. Returns file -> component.
 */
function cyclesOf(files, edges, withTypes) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const component = new Map();
  let counter = 0;
  const visit = (file) => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const edge of edges.get(file) ?? []) {
      if (edge.typeOnly && !withTypes) continue;
      if (!index.has(edge.target)) {
        visit(edge.target);
        low.set(file, Math.min(low.get(file), low.get(edge.target)));
      } else if (onStack.has(edge.target)) {
        low.set(file, Math.min(low.get(file), index.get(edge.target)));
      }
    }
    if (low.get(file) === index.get(file)) {
      const members = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        members.push(member);
      } while (member !== file);
      if (members.length > 1) for (const each of members) component.set(each, members);
    }
  };
  for (const file of files) if (!index.has(file.fileName)) visit(file.fileName);
  return component;
}

/** A shortest import path from `start` to `goal` inside one component, for the message. */
function pathWithin(edges, start, goal, inside, withTypes) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    if (file === goal) break;
    for (const edge of edges.get(file) ?? []) {
      if ((edge.typeOnly && !withTypes) || !inside.has(edge.target) || previous.has(edge.target)) continue;
      previous.set(edge.target, file);
      queue.push(edge.target);
    }
  }
  const chain = [];
  for (let at = goal; at !== undefined; at = previous.get(at)) chain.unshift(at);
  return chain;
}

/**
 * Exports no other module of the program imports, by (file, name). A namespace import,
 * `export *` or a dynamic import of a module counts as using all of its exports.
 */
function unusedExports(program, graph) {
  if (graph.unused) return graph.unused;
  const checker = program.getTypeChecker();
  const used = new Map();
  const everything = new Set();
  const use = (file, name) => {
    let names = used.get(file);
    if (!names) used.set(file, (names = new Set()));
    names.add(name);
  };
  for (const file of graph.files) {
    for (const statement of file.statements) {
      if (!ts.isStringLiteral(statement.moduleSpecifier ?? {})) continue;
      const target = graph.resolve(statement.moduleSpecifier.text, file.fileName);
      if (target === undefined) continue;
      if (ts.isImportDeclaration(statement)) {
        const clause = statement.importClause;
        if (!clause) continue;
        if (clause.name) use(target, 'default');
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) everything.add(target);
        else if (bindings)
          for (const element of bindings.elements) use(target, (element.propertyName ?? element.name).text);
      } else if (ts.isExportDeclaration(statement)) {
        const clause = statement.exportClause;
        if (!clause || ts.isNamespaceExport(clause)) everything.add(target);
        else for (const element of clause.elements) use(target, (element.propertyName ?? element.name).text);
      }
    }
    const visit = (node) => {
      if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteralLike(node.arguments[0])
      ) {
        const target = graph.resolve(node.arguments[0].text, file.fileName);
        if (target !== undefined) everything.add(target);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const unused = new Map();
  for (const file of graph.files) {
    if (everything.has(file.fileName)) continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    const names = used.get(file.fileName) ?? new Set();
    const list = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      if (names.has(symbol.name)) continue;
      const declaration = symbol.declarations?.find((each) => each.getSourceFile() === file);
      if (!declaration) continue;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const typeOnly = (target.flags & ts.SymbolFlags.Value) === 0;
      list.push({ name: symbol.name, node: ts.getNameOfDeclaration(declaration) ?? declaration, typeOnly });
    }
    unused.set(file.fileName, list);
  }
  graph.unused = unused;
  return unused;
}

function locOf(sourceFile, node) {
  const start = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  const end = sourceFile.getLineAndCharacterOfPosition(node.getEnd());
  return {
    start: { line: start.line + 1, column: start.character },
    end: { line: end.line + 1, column: end.character },
  };
}

function programOf(context) {
  const services = context.sourceCode.parserServices;
  return services?.program ?? undefined;
}

const layering = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'src/domain -> src/pki, src/store -> src/authority -> src/api -> src/cli: no import goes up or sideways',
    },
    messages: {
      layer: '{{from}} may not import {{to}} (it may import: {{allowed}})',
    },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), specifier));
      if (to === undefined || LAYERS[from].includes(to)) return;
      context.report({
        node,
        messageId: 'layer',
        data: { from: `src/${from}`, to: `src/${to}`, allowed: LAYERS[from].map((each) => `src/${each}`).join(', ') },
      });
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No module reaches itself through its imports' },
    messages: { cycle: 'import cycle: {{path}}' },
    schema: [{ type: 'object', properties: { types: { type: 'boolean' } }, additionalProperties: false }],
  },
  create(context) {
    const program = programOf(context);
    if (!program) return {};
    // Type-only imports are erased, so they cannot order module evaluation; with `types`
    // they count anyway, for cycles of dependency rather than of loading.
    const withTypes = context.options[0]?.types ?? false;
    return {
      Program() {
        const graph = graphOf(program);
        const key = withTypes ? 'types' : 'runtime';
        let cycles = graph.cycles.get(key);
        if (!cycles) graph.cycles.set(key, (cycles = cyclesOf(graph.files, graph.edges, withTypes)));
        const file = program.getSourceFile(context.filename);
        const members = file && cycles.get(file.fileName);
        if (!members) return;
        const inside = new Set(members);
        for (const edge of graph.edges.get(file.fileName)) {
          if ((edge.typeOnly && !withTypes) || !inside.has(edge.target)) continue;
          const chain = [file.fileName, ...pathWithin(graph.edges, edge.target, file.fileName, inside, withTypes)];
          context.report({
            loc: locOf(file, edge.node),
            messageId: 'cycle',
            data: { path: chain.map(relative).join(' -> ') },
          });
        }
      },
    };
  },
};

const noUnusedExports = {
  meta: {
    type: 'suggestion',
    docs: { description: 'Every export is imported by some other module of the program' },
    messages: { unused: "'{{name}}' is exported but no module imports it" },
    schema: [
      {
        type: 'object',
        properties: { entries: { type: 'array', items: { type: 'string' } }, types: { type: 'boolean' } },
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const program = programOf(context);
    if (!program) return {};
    // Entry modules are loaded from outside the program (bin/, the bundle, a worker).
    const entries = new Set((context.options[0]?.entries ?? []).map((each) => path.resolve(root, each)));
    if (entries.has(context.filename)) return {};
    // An exported type is often part of an exported signature; without `types`, only values count.
    const withTypes = context.options[0]?.types ?? false;
    return {
      Program() {
        const graph = graphOf(program);
        const file = program.getSourceFile(context.filename);
        if (!file) return;
        for (const { name, node, typeOnly } of unusedExports(program, graph).get(file.fileName) ?? []) {
          if (typeOnly && !withTypes) continue;
          context.report({ loc: locOf(file, node), messageId: 'unused', data: { name } });
        }
      },
    };
  },
};

export default {
  meta: { name: 'dbcerts' },
  rules: { layering, 'no-cycle': noCycle, 'no-unused-exports': noUnusedExports },
};
