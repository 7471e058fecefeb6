import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyPrintJson, toJson } from '../../src/api/json.js';

test('toJson writes bigints exactly and leaves undefined members out', () => {
  assert.equal(
    toJson({ _id: 5433027191242719574n, a: undefined, b: [1, 'x', null, true], c: { d: 'é"\\' } }),
    '{"_id":5433027191242719574,"b":[1,"x",null,true],"c":{"d":"é\\"\\\\"}}',
  );
});

test('pretty printing follows Jackson: objects one member a line, arrays inline', () => {
  const compact = '{"a":1,"b":[{"c":2},{"d":[3,4]}],"e":{},"f":[],"g":{"h":"x,y:{z}[w]"}}';
  assert.equal(
    prettyPrintJson(compact),
    [
      '{',
      '  "a" : 1,',
      '  "b" : [ {',
      '    "c" : 2',
      '  }, {',
      '    "d" : [ 3, 4 ]',
      '  } ],',
      '  "e" : { },',
      '  "f" : [ ],',
      '  "g" : {',
      '    "h" : "x,y:{z}[w]"',
      '  }',
      '}',
    ].join('\n'),
  );
});

test('pretty printing keeps every digit and every escaped character', () => {
  const compact = toJson({ n: 946028664465903704n, s: 'a\\"b\n"{' });
  const pretty = prettyPrintJson(compact);
  assert.ok(pretty.includes('"n" : 946028664465903704'));
  assert.equal(pretty.replace(/\s*\n\s*/g, '').replace(/ : /g, ':'), compact);
});
