/** Atlas list paging: `pageNum` from 1, `itemsPerPage` 1..500 (default 100), `includeCount`. */

export const DEFAULT_ITEMS_PER_PAGE = 100;
export const MAX_ITEMS_PER_PAGE = 500;

export interface PageRequest {
  pageNum: number;
  itemsPerPage: number;
  includeCount: boolean;
}

export interface Page<T> {
  items: T[];
  /** Present when the request asked for a count. */
  totalCount?: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

/** Where a page sits in its list, without its items (written elsewhere, as JSON text). */
export type PagePosition = Omit<Page<never>, 'items'>;

export function pageOffset(page: PageRequest): number {
  return (page.pageNum - 1) * page.itemsPerPage;
}

/** A page's place in its list, once whether a next page exists is known. */
export function pagePosition(page: PageRequest, hasNext: boolean, totalCount?: number): PagePosition {
  const position: PagePosition = { hasPrevious: page.pageNum > 1, hasNext };
  if (page.includeCount) position.totalCount = totalCount ?? 0;
  return position;
}

/**
 * Builds a page from rows fetched with `LIMIT itemsPerPage + 1`: the extra row, when
 * present, proves there is a next page without needing a count.
 */
export function pageFromRows<T>(rows: T[], page: PageRequest, totalCount?: number): Page<T> {
  const hasNext = rows.length > page.itemsPerPage;
  return { items: hasNext ? rows.slice(0, page.itemsPerPage) : rows, ...pagePosition(page, hasNext, totalCount) };
}
