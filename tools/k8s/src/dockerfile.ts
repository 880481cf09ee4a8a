// A static check of k8s/docker/Dockerfile (no Docker engine here): it is
// multi-stage, every file it copies from the build context exists, the
// runtime stage copies what the build stage's build-app.mjs produces for
// that app and runs it, as a numeric non-root user.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { root } from './render';

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  name: string;
  workdir: string;
  steps: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const step = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (step.op === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(step.args)?.[1] ?? String(stages.length), workdir: '/', steps: [] });
    const stage = stages[stages.length - 1];
    if (!stage) continue;
    if (step.op === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, step.args);
    stage.steps.push({ ...step, args: step.op === 'WORKDIR' ? stage.workdir : step.args });
  }
  return stages;
}

function expand(s: string, args: Record<string, string>): string {
  return s.replace(/\$\{?(\w+)\}?/g, (m, k: string) => args[k] ?? m);
}

/** The words of COPY (sources…, destination), without --flags; `from` is --from's stage. */
function copyArgs(args: string): { from?: string; paths: string[] } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice(7);
  return { from, paths: words.filter((w) => !w.startsWith('--')) };
}

function exec(args: string): string[] {
  try {
    return JSON.parse(args) as string[];
  } catch {
    return args.split(/\s+/);
  }
}

/**
 * Problems of the Dockerfile built with APP=app. contextFile maps a path in
 * the build stage (after `COPY . .` into its WORKDIR) to the repository.
 */
export function checkDockerfile(text: string, app: string, repo = root): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length < 2) problems.push('not multi-stage: the runtime image should hold only the bundle');
  const args = { APP: app };
  const built = new Set<string>();
  for (const stage of stages) {
    for (const s of stage.steps.filter((x) => x.op === 'COPY' || x.op === 'ADD')) {
      const { from, paths } = copyArgs(expand(s.args, args));
      const dest = paths.pop()!;
      for (const src of paths) {
        if (!from) {
          if (src !== '.' && !existsSync(join(repo, src))) problems.push(`COPY ${src}: no such file in the build context`);
          continue;
        }
        const producer = stages.find((x) => x.name === from);
        if (!producer) problems.push(`COPY --from=${from}: no such stage`);
        else if (!existsSync(join(repo, posix.relative(producer.workdir, src))))
          problems.push(`COPY --from=${from} ${src}: the build does not produce it (no ${posix.relative(producer.workdir, src)} after the build)`);
        built.add(dest.endsWith('/') ? posix.join(dest, posix.basename(src)) : dest);
      }
    }
  }
  const last = stages[stages.length - 1];
  const user = last?.steps
    .filter((s) => s.op === 'USER')
    .pop()
    ?.args.split(':')[0];
  if (!user || !/^\d+$/.test(user) || user === '0') problems.push(`runtime stage USER ${user ?? '(none)'}: must be a numeric non-root uid (runAsNonRoot)`);
  const entry =
    last?.steps
      .filter((s) => s.op === 'ENTRYPOINT' || s.op === 'CMD')
      .map((s) => exec(s.args))
      .pop() ?? [];
  const script = entry.find((w) => w.endsWith('.cjs') || w.endsWith('.js'));
  if (entry[0] !== 'node' || !script || !built.has(script)) problems.push(`runtime stage runs ${JSON.stringify(entry)}: not node with the bundle it copied`);
  const builds = stages.some((st) => st.steps.some((s) => s.op === 'RUN' && s.args.includes('tools/scripts/build-app.mjs')));
  if (!builds) problems.push('no build stage runs tools/scripts/build-app.mjs');
  return problems;
}

export function readDockerfile(): string {
  return readFileSync(join(root, 'k8s/docker/Dockerfile'), 'utf8');
}
