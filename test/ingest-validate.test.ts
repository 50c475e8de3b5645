import { describe, expect, it } from 'vitest';
import { validateEvent, depthExceeds, LIMITS } from '../src/ingest/validate.js';
import { checkContentType, decodeJson, eventsOf } from '../src/ingest/body.js';
import { makeEvent } from './support/env.js';

describe('validateEvent', () => {
  it('normalizes a valid event and keeps unknown top-level fields in context', () => {
    const r = validateEvent(makeEvent({ event_id: 'e1', beat_confidence: 0.9, context: { a: 1 } }), 0, 123);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.event_id).toBe('e1');
    expect(r.event.received_at).toBe(123);
    expect(r.event.context).toEqual({ beat_confidence: 0.9, a: 1 });
    expect(r.event.track_title).toBeNull();
  });

  it('reports every missing required field with its name', () => {
    const r = validateEvent({}, 3, 0);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.problems.map((p) => p.field).sort();
    expect(fields).toEqual(['event_id', 'mode', 'session_id', 'source_index', 'source_time', 'target_index', 'target_time', 'track_id']);
    expect(r.problems.every((p) => p.index === 3)).toBe(true);
  });

  it.each([
    ['event_id', 'x'.repeat(65)],
    ['event_id', 12],
    ['source_index', -1],
    ['source_index', 1.5],
    ['target_index', 1e300],
    ['source_time', 'soon'],
    ['target_time', -0.5],
    ['propensity', 0],
    ['propensity', 1.01],
    ['policy_mode', 'greedy'],
    ['same_section', 'yes'],
    ['span', 2.5],
    ['candidates', {}],
    ['settings', []],
    ['context', 'text'],
    ['similarity', 'high'],
    ['client_ts', -1],
  ])('refuses %s = %j', (field, value) => {
    const r = validateEvent(makeEvent({ [field]: value }), 0, 0);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field)).toContain(field);
  });

  it('accepts null optional fields as absent', () => {
    const r = validateEvent(makeEvent({ similarity: null, candidates: null, model_version: null }), 0, 0);
    expect(r.ok).toBe(true);
  });

  it('the depth limit is exact: limit levels pass, one more fails, for objects and arrays alike', () => {
    const nest = (levels: number, wrap: (v: unknown) => unknown) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = wrap(v);
      return v;
    };
    // Each wrap adds one level (object, array), or two (an object holding an array).
    for (const [wrap, per] of [[(v: unknown) => ({ k: v }), 1], [(v: unknown) => [v], 1], [(v: unknown) => ({ a: 1, list: [0, v] }), 2]] as const) {
      const fits = LIMITS.maxDepth / per;
      expect(depthExceeds(nest(fits, wrap), LIMITS.maxDepth)).toBe(false);
      expect(depthExceeds(nest(fits + 1, wrap), LIMITS.maxDepth)).toBe(true);
    }
    expect(depthExceeds('scalar', 0)).toBe(false);
    expect(depthExceeds({}, 0)).toBe(true);
    expect(depthExceeds({}, 1)).toBe(false);
  });

  it('refuses deep nesting without recursing past the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(depthExceeds(deep, LIMITS.maxDepth)).toBe(true);
    const r = validateEvent(makeEvent({ context: deep }), 0, 0);
    expect(r.ok).toBe(false);
    const r2 = validateEvent(makeEvent({ surprise: deep }), 0, 0);
    expect(r2.ok).toBe(false);
  });

  it('refuses non-objects', () => {
    for (const v of [null, 1, 'x', [], true]) expect(validateEvent(v, 0, 0).ok).toBe(false);
  });
});

describe('body parsing', () => {
  it('accepts the content types a beacon may carry', () => {
    for (const ct of ['', 'text/plain;charset=UTF-8', 'text/plain', 'application/json', 'application/json; charset=utf-8']) {
      expect(() => checkContentType(ct)).not.toThrow();
    }
    expect(() => checkContentType('application/x-www-form-urlencoded')).toThrow(/unsupported Content-Type/);
    expect(() => checkContentType('text/plain;charset=latin1')).toThrow(/charset/);
  });

  it('rejects invalid UTF-8 and invalid JSON with clear messages', () => {
    expect(() => decodeJson(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => decodeJson(Buffer.from('{"a":'))).toThrow(/not valid JSON/);
  });

  it('accepts one event, an array, or {events: [...]}', () => {
    expect(eventsOf({ a: 1 })).toEqual([{ a: 1 }]);
    expect(eventsOf([{ a: 1 }, { b: 2 }])).toHaveLength(2);
    expect(eventsOf({ events: [{ a: 1 }] })).toEqual([{ a: 1 }]);
    expect(() => eventsOf([])).toThrow(/no events/);
    expect(() => eventsOf(5)).toThrow(/body must be/);
  });
});
