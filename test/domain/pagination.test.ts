import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageFromRows, pageOffset } from '../../src/domain/pagination.js';

test('a page is cut from itemsPerPage + 1 rows; the extra row means there is a next page', () => {
  const page = { pageNum: 2, itemsPerPage: 3, includeCount: true };
  assert.equal(pageOffset(page), 3);
  assert.deepEqual(pageFromRows([4, 5, 6, 7], page, 10), {
    items: [4, 5, 6],
    totalCount: 10,
    hasPrevious: true,
    hasNext: true,
  });
  assert.deepEqual(pageFromRows([4, 5], page, 5), { items: [4, 5], totalCount: 5, hasPrevious: true, hasNext: false });
  assert.deepEqual(pageFromRows([1, 2, 3], { ...page, pageNum: 1, includeCount: false }), {
    items: [1, 2, 3],
    hasPrevious: false,
    hasNext: false,
  });
});
