// One configuration schema style for every app: each setting is an environment
// variable with a type, a default and a description; all problems are reported
// at once, naming the setting (like Prosody's get_option_* and ejabberd's
// mod_opt_type validators).

export interface Setting<T> {
  readonly kind: string;
  readonly description: string;
  readonly default: T | undefined;
  parse(raw: string): T;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

function setting<T>(kind: string, def: T | undefined, description: string, parse: (raw: string) => T): Setting<T> {
  return { kind, default: def, description, parse };
}

export function str(def: string | undefined, description: string): Setting<string> {
  return setting('string', def, description, (raw) => raw);
}

export function int(def: number | undefined, description: string, min = 0, max = Number.MAX_SAFE_INTEGER): Setting<number> {
  return setting('integer', def, description, (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  });
}

export function bool(def: boolean | undefined, description: string): Setting<boolean> {
  return setting('boolean', def, description, (raw) => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new Error(`expected true or false, got "${raw}"`);
  });
}

export function oneOf<T extends string>(values: readonly T[], def: T | undefined, description: string): Setting<T> {
  return setting(values.join('|'), def, description, (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  });
}

export function list(def: string[] | undefined, description: string): Setting<string[]> {
  return setting('comma-separated list', def, description, (raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export type Schema = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Values from a config file (CONFIG_FILE), overridden by the environment. */
export interface FileValues {
  values: ReadonlyMap<string, { raw: string; where: string }>;
  problems: readonly string[];
}

export interface ConfigDefinition<S extends Schema> {
  readonly schema: S;
  load(env?: Record<string, string | undefined>, file?: FileValues): ConfigOf<S>;
}

export function defineConfig<S extends Schema>(schema: S): ConfigDefinition<S> {
  return {
    schema,
    load(env = process.env, file) {
      const out: Record<string, unknown> = {};
      const problems: string[] = [...(file?.problems ?? [])];
      for (const [key, s] of Object.entries(schema)) {
        const fromEnv = env[key] !== undefined && env[key] !== '';
        const fromFile = fromEnv ? undefined : file?.values.get(key);
        const raw = fromEnv ? env[key] : fromFile?.raw;
        if (raw === undefined || raw === '') {
          if (s.default === undefined) problems.push(`${key}: required (${s.description})`);
          else out[key] = s.default;
          continue;
        }
        try {
          out[key] = s.parse(raw);
        } catch (err) {
          problems.push(`${key}: ${(err as Error).message}${fromFile ? ` (in ${fromFile.where})` : ''}`);
        }
      }
      if (problems.length) throw new ConfigError(problems);
      return out as ConfigOf<S>;
    },
  };
}

/** Merge schemas (shared settings plus an app's own). */
export function extend<A extends Schema, B extends Schema>(a: A, b: B): A & B {
  return { ...a, ...b };
}
