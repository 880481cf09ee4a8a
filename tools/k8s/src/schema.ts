// The strict API schema check: every object is compiled as a TypeScript
// literal of its kubernetes-types type (generated from the Kubernetes OpenAPI),
// so an unknown field (excess property), a wrong type, a missing required
// field or an unknown kind is a compile error.
import ts from 'typescript';
import { join } from 'node:path';
import { root, nameOf, type Manifest } from './render';

/** 'apps/v1' → 'apps/v1', 'v1' → 'core/v1', 'networking.k8s.io/v1' → 'networking/v1'. */
export function typesModule(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  return `kubernetes-types/${group!.split('.')[0]}/${version}`;
}

interface Source {
  file: string;
  text: string;
  /** First line of each object, and its name. */
  starts: Array<{ line: number; name: string }>;
}

function source(label: string, docs: Manifest[], i: number): Source {
  const modules = [...new Set(docs.map((d) => typesModule(d.apiVersion)))];
  const lines = modules.map((m, k) => `import type * as m${k} from '${m}';`);
  const starts: Source['starts'] = [];
  docs.forEach((d, n) => {
    starts.push({ line: lines.length, name: nameOf(d) });
    const json = JSON.stringify(d, null, 2).split('\n');
    lines.push(`export const o${n}: m${modules.indexOf(typesModule(d.apiVersion))}.${d.kind} = ${json[0]}`, ...json.slice(1));
  });
  return { file: join(root, `tools/k8s/.schema-check/${i}-${label.replace(/[^\w.-]/g, '_')}.ts`), text: lines.join('\n'), starts };
}

function where(src: Source, line: number): string {
  let name = '?';
  for (const s of src.starts) if (s.line <= line) name = s.name;
  return `${name}: ${src.text.split('\n')[line]?.trim()}`;
}

/** Problems of each set of objects, as "<label> <Kind/name>: <line>: <message>". */
export function checkSchema(sets: Array<{ label: string; docs: Manifest[] }>): string[] {
  const sources = sets.map((s, i) => ({ label: s.label, src: source(s.label, s.docs, i) }));
  const byFile = new Map(sources.map((s) => [s.src.file, s]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => byFile.has(f) || fileExists(f);
  host.readFile = (f) => byFile.get(f)?.src.text ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const s = byFile.get(f);
    return s ? ts.createSourceFile(f, s.src.text, lang) : getSourceFile(f, lang, ...rest);
  };
  const program = ts.createProgram([...byFile.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const s = d.file && byFile.get(d.file.fileName);
    if (!s || d.start === undefined) return message;
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
    return `${s.label} ${where(s.src, line)}: ${message}`;
  });
}
