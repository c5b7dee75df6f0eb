/**
 * `/docs`: the OpenAPI document rendered as one self-contained HTML page on the server. No scripts,
 * no CDN (the API must be readable offline and under a strict CSP).
 */
type Doc = ReturnType<typeof import('../schemas/openapi.ts').buildOpenApiDocument>;

const escape = (s: unknown): string =>
  (typeof s === 'string' ? s : s == null ? '' : JSON.stringify(s)).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const code = (s: string) => s.replace(/`([^`]+)`/g, '<code>$1</code>');

export function renderDocsPage(doc: Doc): string {
  const sections = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      const tag = ((op.tags as string[] | undefined) ?? ['Other'])[0]!;
      const responses = Object.entries((op.responses as Record<string, { description?: string }>) ?? {})
        .map(([status, r]) => `<li><b>${escape(status)}</b> ${code(escape(r.description))}</li>`)
        .join('');
      const params = ((op.parameters as { name: string; in: string; required?: boolean }[]) ?? [])
        .map((p) => `<code>${escape(p.name)}</code> <small>(${escape(p.in)}${p.required ? ', required' : ''})</small>`)
        .join(', ');
      const body = (op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)?.content?.[
        'application/json'
      ]?.schema?.$ref;
      sections.set(tag, [
        ...(sections.get(tag) ?? []),
        `<section id="${escape(op.operationId)}"><h3><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary)}</p><p>${code(escape(op.description)).replace(/\n\n/g, '</p><p>')}</p>
${params ? `<p>Parameters: ${params}</p>` : ''}${body ? `<p>Body: <a href="#schema-${escape(body.split('/').pop())}">${escape(body.split('/').pop())}</a></p>` : ''}
<ul>${responses}</ul></section>`,
      ]);
    }
  }
  // Webhooks (OpenAPI 3.1 `webhooks`): the events we POST, one section each, with the payload's schema.
  const webhooks = Object.entries((doc as { webhooks?: Record<string, Record<string, Record<string, unknown>>> }).webhooks ?? {})
    .flatMap(([name, item]) =>
      Object.values(item).map((op) => {
        const payload = (op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)?.content?.[
          'application/json'
        ]?.schema?.$ref?.split('/').pop();
        return `<section id="webhook-${escape(name)}"><h3><span class="m post">POST</span> <code>${escape(name)}</code></h3>
<p>${escape(op.summary)}</p><p>${code(escape(op.description)).replace(/\n\n/g, '</p><p>')}</p>
${payload ? `<p>Payload: <a href="#schema-${escape(payload)}">${escape(payload)}</a></p>` : ''}</section>`;
      }),
    )
    .join('');
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, schema]) =>
        `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3><pre>${escape(JSON.stringify(schema, null, 2))}</pre></section>`,
    )
    .join('');
  const toc = [...sections.keys()].map((t) => `<a href="#tag-${escape(t)}">${escape(t)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;border-radius:3px;padding:0 .2em}pre{padding:.6em;overflow:auto}
section{border-top:1px solid #ddd;padding:.3em 0}.m{display:inline-block;min-width:4.5em;font-size:.8em;color:#fff;border-radius:3px;text-align:center}
.get{background:#2a7}.post{background:#27a}.put{background:#a72}.delete{background:#a33}</style></head><body>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1><p>${escape(doc.info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a></p><nav>${toc} · ${webhooks ? '<a href="#webhooks">Webhooks</a> · ' : ''}<a href="#schemas">Schemas</a></nav>
${[...sections].map(([tag, ops]) => `<h2 id="tag-${escape(tag)}">${escape(tag)}</h2>${ops.join('')}`).join('')}
${webhooks ? `<h2 id="webhooks">Webhooks</h2>${webhooks}` : ''}
<h2 id="schemas">Schemas</h2>${schemas}</body></html>`;
}
