import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sqliteText } from '../../src/store/database.js';

/**
 * The SQL the embedded store hands SQLite: Kysely's, with a page's bound LIMIT and OFFSET
 * hidden from the planner (which would otherwise make SQLite prepare the statement again
 * on every run) and `begin` taking the write lock at once.
 */
describe('sqliteText', () => {
  test('a trailing bound limit, with or without an offset, becomes an expression', () => {
    assert.equal(
      sqliteText('select "a" from "t" order by "a" limit ? offset ?'),
      'select "a" from "t" order by "a" limit (? + 0) offset (? + 0)',
    );
    assert.equal(sqliteText('select "a" from "t" limit ?'), 'select "a" from "t" limit (? + 0)');
    assert.equal(sqliteText('begin'), 'begin immediate');
  });

  test('anything else is left as Kysely wrote it', () => {
    for (const sql of [
      'select "a" from "t" where "a" in (select "a" from "u" limit ?) order by "a"',
      'select "a" from "t" limit 10',
      'select \'limit ?\' as "x"',
      'insert into "t" ("a") values (?)',
      'commit',
    ]) {
      assert.equal(sqliteText(sql), sql);
    }
  });

  test('the rewritten page is the same page: every limit and offset, no limit (-1) included', () => {
    const db = new SqliteDatabase(':memory:');
    db.exec(
      'create table t (a integer primary key); ' +
        'with recursive n (a) as (select 1 union all select a + 1 from n where a < 50) insert into t (a) select a from n',
    );
    const kysely = 'select "a" from "t" order by "a" limit ? offset ?';
    const original = db.prepare(kysely).pluck(true);
    const rewritten = db.prepare(sqliteText(kysely)).pluck(true);
    for (const [limit, offset] of [
      [10, 0],
      [10, 45],
      [1, 49],
      [5, 50],
      [-1, 20],
      [0, 0],
      [500, 0],
    ]) {
      assert.deepEqual(rewritten.all(limit, offset), original.all(limit, offset), `limit ${limit} offset ${offset}`);
    }
    db.close();
  });
});
