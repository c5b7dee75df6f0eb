// The boundaries of shared/data (see HOUSE-STYLE.md, "Layout"): each bounded context has a folder;
// its items files (items.ts, and the few files named in `itemFiles`) describe stored items, and every
// other file in it is a verb (one use case). An items file imports only domain/, platform/ and other
// items files; a verb imports any items file, never another verb. platform/ is plumbing, free to import.
import path from 'node:path';

const DATA = `${path.sep}shared${path.sep}data${path.sep}`;

/** `<context>/<file>.ts` of a file under shared/data, or undefined. */
function dataPath(file) {
  const at = file.lastIndexOf(DATA);
  if (at < 0) return undefined;
  return file
    .slice(at + DATA.length)
    .split(path.sep)
    .join('/');
}

function resolve(fromFile, spec, root) {
  if (spec.startsWith('#shared/')) return path.join(root, 'shared', spec.slice('#shared/'.length)).replace(/(\.ts)?$/, '.ts');
  if (spec.startsWith('./') || spec.startsWith('../')) return path.resolve(path.dirname(fromFile), spec).replace(/(\.ts)?$/, '.ts');
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'items files import no verb, and a verb imports no other verb, in shared/data' },
    schema: [{ type: 'object', properties: { itemFiles: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }],
    messages: {
      itemsImportsVerb: 'An items file imports only domain/, platform/ and items files; {{target}} is a verb.',
      verbImportsVerb: 'A verb never imports another verb ({{target}}): move what both need into an items file or domain/.',
    },
  },
  create(context) {
    const file = context.filename;
    const own = dataPath(file);
    if (!own || own.startsWith('platform/')) return {};
    const itemFiles = new Set(context.options[0]?.itemFiles ?? []);
    const isItems = (p) => p.endsWith('/items.ts') || itemFiles.has(p);
    const root = file.slice(0, file.lastIndexOf(DATA));
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const target = resolve(file, source.value, root);
      const targetPath = target && dataPath(target);
      if (!targetPath || targetPath.startsWith('platform/') || targetPath === own || isItems(targetPath)) return;
      context.report({ node, messageId: isItems(own) ? 'itemsImportsVerb' : 'verbImportsVerb', data: { target: targetPath } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};
