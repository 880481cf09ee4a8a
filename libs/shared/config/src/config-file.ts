// CONFIG_FILE: the same settings in one YAML file that can serve every app.
// Top-level keys are the settings every service shares (commonSettings and
// GRPC_HOST); each app's own settings go in its section (`edge:`, `auth:`,
// `session:`, `router:`, `xmppctl:`). A key nobody reads is an error naming
// it, so a typo is never silently ignored; an app checks its own section and
// leaves the other sections to their apps. Environment variables override the
// file (see load in define.ts).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { commonSettings, grpcServerSettings } from './common';
import { ConfigError, type ConfigDefinition, type ConfigOf, type Schema } from './define';

/** The sections of a config file, one per app. */
export const appSections = ['edge', 'auth', 'session', 'router', 'xmppctl', 'upload'] as const;

/** Settings allowed at the top level of a config file. */
export const sharedSettingNames: ReadonlySet<string> = new Set(
  [...Object.keys(commonSettings), ...Object.keys(grpcServerSettings)].filter((k) => k !== 'CONFIG_FILE'),
);

/** A setting's value as the file gave it, and where (for messages). */
export interface FileValue {
  raw: string;
  where: string;
}

export interface FileSettings {
  values: Map<string, FileValue>;
  problems: string[];
}

type Doc = Record<string, unknown>;

function isMap(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A YAML scalar or list as the string an environment variable would hold. */
function asRaw(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return v.join(',');
  return undefined;
}

function take(out: FileSettings, key: string, v: unknown, where: string): void {
  if (v === null || v === undefined) return; // `KEY:` with no value: as if unset
  const raw = asRaw(v);
  if (raw === undefined) out.problems.push(`${key}: expected a string, number, boolean or list in ${where}`);
  else out.values.set(key, { raw, where });
}

/**
 * The settings the parsed file gives the app `section` with `schema`: its
 * section over the shared top level; unknown keys are problems.
 */
export function fileSettings(doc: unknown, file: string, section: string, schema: Schema): FileSettings {
  const out: FileSettings = { values: new Map(), problems: [] };
  if (doc === null || doc === undefined) return out;
  if (!isMap(doc)) return { ...out, problems: [`CONFIG_FILE: ${file} must be a mapping of setting names to values`] };
  for (const [key, v] of Object.entries(doc)) {
    if ((appSections as readonly string[]).includes(key)) continue;
    if (!sharedSettingNames.has(key))
      out.problems.push(
        `${key}: unknown setting at the top level of ${file} (shared settings only there; an app's own go in its section: ${appSections.join(', ')})`,
      );
    else if (key in schema) take(out, key, v, file);
  }
  const own = doc[section];
  if (own === null || own === undefined) return out;
  if (!isMap(own)) return { ...out, problems: [...out.problems, `${section}: expected a mapping of ${section} settings in ${file}`] };
  for (const [key, v] of Object.entries(own)) {
    if (key in schema) take(out, key, v, `${file} (${section})`);
    else out.problems.push(`${key}: unknown ${section} setting in ${file}`);
  }
  return out;
}

/** Read and parse a YAML config file; problems name CONFIG_FILE. */
export function readConfigFile(file: string): { doc?: unknown; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `CONFIG_FILE: cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    return { doc: parse(text) };
  } catch (err) {
    return { problem: `CONFIG_FILE: ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * Load an app's configuration: the environment over CONFIG_FILE (when set)
 * over the defaults; throws ConfigError with every problem.
 */
export function loadConfig<S extends Schema>(def: ConfigDefinition<S>, section: string, env: Record<string, string | undefined> = process.env): ConfigOf<S> {
  const file = env['CONFIG_FILE'];
  if (!file) return def.load(env);
  const { doc, problem } = readConfigFile(file);
  if (problem) throw new ConfigError([problem]);
  return def.load(env, fileSettings(doc, file, section, def.schema));
}
