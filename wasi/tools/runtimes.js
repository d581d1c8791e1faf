// Which WASI runtimes (and the tools around them) can run here, as wasi/install-runtimes.sh
// --status reports them, and an environment whose PATH finds them by name. Read by the WASI
// tests and the benchmark, so neither repeats the pinned versions the script owns.
//
// Invariant: a tool is usable only if the script says so (present, at its pinned version);
// anything else is missing with the script's reason.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const installer = fileURLToPath(new URL('../install-runtimes.sh', import.meta.url));

/** { name: { path } | { missing: reason } } for every tool the script knows. */
export function runtimeStatus() {
  const r = spawnSync('bash', [installer, '--status'], { encoding: 'utf8', timeout: 30_000 });
  const tools = {};
  for (const line of (r.stdout || '').split('\n')) {
    const m = /^(\S+) (?:- (.*)|(\S.*))$/.exec(line);
    if (m) tools[m[1]] = m[2] ? { missing: m[2] } : { path: m[3] };
  }
  return tools;
}

/** Why one of `names` cannot run, or null when all can. */
export function missingFrom(tools, ...names) {
  const why = names.map((n) => tools[n]?.missing ?? (tools[n] ? null : `${n}: ${installer} --status failed`))
    .filter(Boolean);
  return why.length ? why.join('; ') : null;
}

/** process.env with the tools' directories first on PATH, so commands name them as the README does. */
export function toolEnv(tools) {
  const dirs = [...new Set(Object.values(tools).filter((t) => t.path).map((t) => dirname(t.path)))];
  return { ...process.env, PATH: [...dirs, process.env.PATH].join(':') };
}

