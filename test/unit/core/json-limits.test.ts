/** The pure JSON limits: what each check reports, and where. */
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonProblems, keyProblem, numberProblem, textProblem, withinDepth } from '../../../functions/core/json-limits';

describe('json limits', () => {
  it('numbers: safe integers and DynamoDB-sized fractions pass; the rest is named', () => {
    for (const ok of [0, -0, 1, -1, 0.1, 2 ** 53 - 1, -(2 ** 53) + 1, 1e-130, -1e-130, 1e15 + 0.5]) expect(numberProblem(ok), String(ok)).toBeUndefined();
    for (const bad of [2 ** 53, -(2 ** 53), 1e300, 1e-131, 5e-324, Infinity, NaN]) expect(numberProblem(bad), String(bad)).toBeDefined();
  });

  it('keys: empty, prototype-related, over 1,024 bytes or ill-formed are refused; look-alikes pass', () => {
    for (const bad of ['', '__proto__', 'constructor', 'prototype', 'é'.repeat(513), '\ud800']) expect(keyProblem(bad), bad.slice(0, 10)).toBeDefined();
    for (const ok of ['Constructor', '__proto', 'toString', 'k'.repeat(1024), '😀']) expect(keyProblem(ok), ok.slice(0, 10)).toBeUndefined();
  });

  it('strings: lone surrogates and U+FFFE/U+FFFF are refused; paired surrogates and control characters pass', () => {
    for (const bad of ['\ud800', 'a\udfffb', '\ufffe', '\uffff']) expect(textProblem(bad)).toBeDefined();
    for (const ok of ['😀', '\u0000\t\n', '', '\ufffd']) expect(textProblem(ok)).toBeUndefined();
  });

  it('reports each problem at its path, own __proto__ keys included', () => {
    const value = JSON.parse('{"a": [1, {"__proto__": {"x": 1e400}}], "": 2}') as unknown;
    expect(jsonProblems(value).map((p) => p.path)).toEqual(expect.arrayContaining([[''], ['a', 1, '__proto__'], ['a', 1, '__proto__', 'x']]));
  });

  it('depth: the value is level 1; it stops at the limit without walking further, so any depth is cheap', () => {
    const nest = (n: number) => JSON.parse(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) as unknown;
    expect(jsonProblems(nest(MAX_JSON_DEPTH))).toEqual([]);
    expect(jsonProblems(nest(MAX_JSON_DEPTH + 1))).toEqual([{ path: Array(MAX_JSON_DEPTH).fill('a'), message: `JSON nests deeper than ${MAX_JSON_DEPTH} levels` }]);
    const huge = JSON.parse(`${'['.repeat(300_000)}${']'.repeat(300_000)}`) as unknown;
    expect(jsonProblems(huge)).toHaveLength(1);
    expect(withinDepth(huge, 64)).toBe(false);
    expect(withinDepth(nest(64), 64)).toBe(true);
    expect(withinDepth(nest(65), 64)).toBe(false);
  });

  it('stops after `max` problems', () => {
    expect(jsonProblems(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 2 ** 60])), 5)).toHaveLength(5);
  });
});
