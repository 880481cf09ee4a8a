import { describe, expect, it } from 'vitest';
import { bool, ConfigError, defineConfig, int, oneOf, str } from './define';

const def = defineConfig({
  PORT: int(5222, 'port', 1, 65535),
  NAME: str(undefined, 'required name'),
  OPEN: bool(true, 'open'),
  MODE: oneOf(['a', 'b'] as const, 'a', 'mode'),
});

describe('defineConfig', () => {
  it('applies defaults and parses values', () => {
    expect(def.load({ NAME: 'x', PORT: '80', OPEN: 'no' })).toEqual({ PORT: 80, NAME: 'x', OPEN: false, MODE: 'a' });
  });
  it('reports every problem at once, naming each setting', () => {
    try {
      def.load({ PORT: '70000', MODE: 'c', OPEN: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const key of ['PORT:', 'NAME: required', 'MODE:', 'OPEN:']) expect(problems).toContain(key);
    }
  });
});
