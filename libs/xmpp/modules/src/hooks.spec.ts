import { describe, expect, it } from 'vitest';
import { Hooks, STOP } from './hooks';

interface Events {
  msg: { log: string[] };
}

describe('Hooks', () => {
  it('runs handlers from the highest priority down, equal ones in the order added', () => {
    const h = new Hooks<Events>();
    h.on('msg', (e) => void e.log.push('b0'), { module: 'b' });
    h.on('msg', (e) => void e.log.push('a10'), { priority: 10, module: 'a' });
    h.on('msg', (e) => void e.log.push('c0'), { module: 'c' });
    h.on('msg', (e) => void e.log.push('d-5'), { priority: -5, module: 'd' });
    const e = { log: [] as string[] };
    expect(h.fire('msg', e)).toBe(false);
    expect(e.log).toEqual(['a10', 'b0', 'c0', 'd-5']);
    expect(h.modules('msg')).toEqual(['a', 'b', 'c', 'd']);
  });
  it('a handler that returns STOP ends the chain, and fire says so', () => {
    const h = new Hooks<Events>();
    h.on('msg', (e) => (e.log.push('first'), STOP), { priority: 1 });
    h.on('msg', (e) => void e.log.push('never'));
    const e = { log: [] as string[] };
    expect(h.fire('msg', e)).toBe(true);
    expect(e.log).toEqual(['first']);
  });
  it('stays synchronous until a handler waits, then continues after it', async () => {
    const h = new Hooks<Events>();
    h.on('msg', (e) => void e.log.push('sync'), { priority: 2 });
    h.on(
      'msg',
      async (e) => {
        await new Promise((r) => setTimeout(r, 1));
        e.log.push('async');
      },
      { priority: 1 },
    );
    h.on('msg', (e) => (e.log.push('last'), STOP));
    const e = { log: [] as string[] };
    const r = h.fire('msg', e);
    expect(r).toBeInstanceOf(Promise);
    expect(e.log).toEqual(['sync']);
    expect(await r).toBe(true);
    expect(e.log).toEqual(['sync', 'async', 'last']);
  });
  it('a hook nobody handles passes; a handler that throws fails the fire', async () => {
    const h = new Hooks<Events>();
    expect(h.has('msg')).toBe(false);
    expect(h.fire('msg', { log: [] })).toBe(false);
    h.on('msg', () => {
      throw new Error('boom');
    });
    expect(() => h.fire('msg', { log: [] })).toThrow('boom');
    const g = new Hooks<Events>();
    g.on('msg', async () => {
      throw new Error('later');
    });
    await expect(g.fire('msg', { log: [] })).rejects.toThrow('later');
  });
});
