/**
 * Route templates in find-my-way's syntax: `:name` is one path segment, `:name(regex)` what
 * the regex matches, `::` a literal colon (Atlas' custom methods, `…/{clientId}:invite`).
 */

const TOKEN = /::|:([A-Za-z0-9_]+)(?:\(((?:[^()]|\([^()]*\))*)\))?|[^:]+/g;

type Piece = { kind: 'text'; text: string } | { kind: 'parameter'; name: string; regex?: string };

function pieces(template: string): Piece[] {
  return [...template.matchAll(TOKEN)].map(([token, name, regex]): Piece => {
    if (token === '::') return { kind: 'text', text: ':' };
    if (name === undefined) return { kind: 'text', text: token };
    return { kind: 'parameter', name, ...(regex !== undefined ? { regex } : {}) };
  });
}

/** The pattern of the concrete paths (as requested, percent-encoded) a template serves. */
export function templatePattern(template: string): RegExp {
  const source = pieces(template)
    .map((piece) => {
      if (piece.kind === 'text') return piece.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return piece.regex === undefined ? '[^/]+' : `(?:${piece.regex.replace(/^\^/, '').replace(/\$$/, '')})`;
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** The template as an OpenAPI path: every parameter `{name}`. */
export function openApiPath(template: string): string {
  return pieces(template)
    .map((piece) => (piece.kind === 'text' ? piece.text : `{${piece.name}}`))
    .join('');
}
