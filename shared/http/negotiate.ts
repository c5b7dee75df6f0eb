/**
 * Content negotiation on `Accept` (RFC 9110 §12.5.1), for a route that serves one resource in several media types:
 * the offered type the client ranks highest (by `q`, then by how specific the range naming it is: `text/html` over
 * `text/*` over `*\/*`, then in the route's own order), or the first offered when the header is absent or accepts
 * nothing offered (the route's documented default rather than a 406).
 */
export function negotiate<T extends string>(accept: string | undefined, offered: readonly [T, ...T[]]): T {
  let best: { type: T; q: number; specificity: number; rank: number } | undefined;
  for (const part of (accept ?? '').split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const [type, subtype] = range.split('/');
    if (!type || !subtype || !Number.isFinite(q) || q <= 0) continue;
    const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2;
    offered.forEach((candidate, rank) => {
      const [ct, cs] = candidate.split('/');
      if (!((type === '*' || type === ct) && (subtype === '*' || subtype === cs))) return;
      const better =
        !best ||
        q > best.q ||
        (q === best.q && specificity > best.specificity) ||
        (q === best.q && specificity === best.specificity && rank < best.rank);
      if (better) best = { type: candidate, q, specificity, rank };
    });
  }
  return best?.type ?? offered[0];
}
