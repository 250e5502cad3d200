import type { Page } from '@keygate/entities';

/**
 * Kong's collection body: `{"data": [...], "offset": "...", "next": "/path?offset=..."}`;
 * on the last page `offset` is absent and `next` is null. `next` repeats `size` and `tags`.
 */
export function pageBody(page: Page, path: string, query: Record<string, unknown>): Record<string, unknown> {
  if (!page.offset) return { data: page.data, next: null };
  const params = new URLSearchParams();
  params.set('offset', page.offset);
  for (const key of ['size', 'tags'] as const) {
    const value = query[key];
    if (typeof value === 'string' && value !== '') params.set(key, value);
  }
  return { data: page.data, offset: page.offset, next: `${path}?${params.toString()}` };
}
