#!/usr/bin/env node
// npm run bench:http [-- --quick] [-- --json FILE] [-- --only lib,nginx] [-- --sizes 16k,1m]
//
// Static files over HTTP/1.1 keep-alive, every server side by side in one run: this library's
// serveStatic, send 1.2, @fastify/static 10.1, a hand-rolled stat + createReadStream().pipe(res),
// an in-memory res.end(buf) (the ceiling of node:http) and nginx (sendfile on, tcp_nopush on,
// one worker). Each server is pinned to CPU 0 and wrk to CPU 1; every file is fetched and
// checked byte for byte from every server before anything is timed; rounds alternate the
// order of the servers so drift in a shared machine lands on all of them alike. Server CPU is
// utime + stime from /proc/PID/stat across the timed wrk run.
//
// wrk and nginx are Debian packages, installed with apt-get only when missing. Imports only
// dist/ (through servers.js) and the benchmark's own helpers.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAll, lineChild } from '../children.js';
import { formatMachine, machine } from '../machine.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

const argv = process.argv.slice(2);
const opts = { quick: false, json: null, only: null, sizes: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--quick') opts.quick = true;
  else if (a === '--json') opts.json = argv[++i];
  else if (a === '--only') opts.only = argv[++i].split(',');
  else if (a === '--sizes') opts.sizes = argv[++i].split(',');
  else if (a === '--help' || a === '-h') {
    console.log('usage: node bench/http/run.js [--quick] [--json FILE] [--only lib,send,fastify,pipe,memory,nginx] [--sizes 16k,1m,64m]');
    process.exit(0);
  } else { console.error(`unknown argument ${a}`); process.exit(2); }
}
const log = (...a) => process.stderr.write(`[bench:http] ${a.join(' ')}\n`);

let tmp = null;
function cleanup() {
  killAll();
  if (tmp) { rmSync(tmp, { recursive: true, force: true }); tmp = null; }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { log(`${sig}: cleaning up`); cleanup(); process.exit(130); });
const deadlineMs = (opts.quick ? 6 : 20) * 60_000;
setTimeout(() => { log(`overall deadline of ${deadlineMs / 60_000} min passed: giving up`); cleanup(); process.exit(3); }, deadlineMs).unref();

// ---- tools ------------------------------------------------------------------------------------
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
function ensureTools() {
  const missing = [['wrk', 'wrk'], ['nginx', 'nginx']].filter(([cmd]) => !has(cmd) && !(cmd === 'nginx' && has('/usr/sbin/nginx')));
  if (!missing.length) return;
  const pkgs = missing.map(([, pkg]) => pkg);
  log(`installing ${pkgs.join(' ')} with apt-get (missing)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
}
ensureTools();
const nginxBin = has('nginx') ? 'nginx' : '/usr/sbin/nginx';
const cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
const pin = (cpu) => (cpus >= 2 && has('taskset') ? ['taskset', '-c', String(cpu)] : []);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
}

// ---- the plan ---------------------------------------------------------------------------------
const SIZES = [
  { name: '16k', label: '16 KiB', bytes: 16 * KiB, conns: 32 },
  { name: '1m', label: '1 MiB', bytes: MiB, conns: 8 },
  { name: '64m', label: '64 MiB', bytes: 64 * MiB, conns: 2 },
].filter((s) => !opts.sizes || opts.sizes.includes(s.name));
const SERVERS = [
  { name: 'lib', label: 'sock-sendfile/http serveStatic' },
  { name: 'nginx', label: 'nginx, 1 worker, sendfile on; tcp_nopush on' },
  { name: 'memory', label: 'node:http, file in memory, res.end(buf)' },
  { name: 'send', label: 'send 1.2 over node:http' },
  { name: 'fastify', label: '@fastify/static 10.1' },
  { name: 'pipe', label: 'stat + createReadStream().pipe(res)' },
].filter((s) => !opts.only || opts.only.includes(s.name));
const ROUNDS = opts.quick ? 1 : 3;
const SECONDS = opts.quick ? 2 : 5;

tmp = mkdtempSync(join(tmpdir(), 'sock-sendfile-bench-http-'));
const docroot = join(tmp, 'files');
mkdirSync(docroot);
const files = {};
for (const s of SIZES) {
  const data = randomBytes(s.bytes);
  writeFileSync(join(docroot, `f${s.name}.bin`), data);
  files[s.name] = createHash('sha256').update(data).digest('hex');
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function waitForPort(port, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startServer(s) {
  if (s.name === 'nginx') {
    const port = await freePort();
    const d = join(tmp, 'nginx');
    mkdirSync(d);
    const conf = join(d, 'nginx.conf');
    writeFileSync(conf, [
      'daemon off; master_process off; worker_processes 1;',
      `error_log ${d}/error.log; pid ${d}/nginx.pid;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off; sendfile on; tcp_nopush on; keepalive_requests 10000000; keepalive_timeout 60s;',
      `  client_body_temp_path ${d}; proxy_temp_path ${d}; fastcgi_temp_path ${d}; uwsgi_temp_path ${d}; scgi_temp_path ${d};`,
      '  default_type application/octet-stream;',
      `  server { listen 127.0.0.1:${port}; root ${docroot}; }`,
      '}',
    ].join('\n'));
    const child = lineChild(pin(0)[0] ?? nginxBin, [...pin(0).slice(1), ...(pin(0).length ? [nginxBin] : []), '-c', conf, '-p', d]);
    await waitForPort(port);
    return { ...s, port, pid: child.pid, child };
  }
  const args = [...pin(0), process.execPath, join(here, 'servers.js'), s.name, docroot];
  const child = lineChild(args[0], args.slice(1));
  const line = await child.ready(30_000);
  const port = Number(/^PORT (\d+)$/.exec(line)?.[1]);
  if (!port) throw new Error(`${s.name}: unexpected first line ${line}`);
  return { ...s, port, pid: child.pid, child };
}

function fetchSha(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const h = createHash('sha256');
      let n = 0;
      res.on('data', (d) => { h.update(d); n += d.length; });
      res.on('end', () => resolve({ status: res.statusCode, sha: h.digest('hex'), bytes: n, length: res.headers['content-length'] }));
    }).on('error', reject);
  });
}

function wrk(port, size, seconds) {
  const args = [...pin(1), 'wrk', '-t1', `-c${size.conns}`, `-d${seconds}s`, '--timeout', '10s', `http://127.0.0.1:${port}/f${size.name}.bin`];
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error?.message}`);
  const m = /(\d+) requests in ([\d.]+)(m?s)/.exec(r.stdout);
  if (!m) throw new Error(`cannot read wrk's output: ${r.stdout}`);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.+)/.exec(r.stdout);
  return { requests: Number(m[1]), seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1), errors: errors ? errors[0] : null };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// ---- run ----------------------------------------------------------------------------------------
const m = machine();
log(`machine:\n${formatMachine(m)}`);
const servers = [];
try {
  for (const s of SERVERS) servers.push(await startServer(s));
  for (const size of SIZES) {
    for (const s of servers) {
      const r = await fetchSha(s.port, `/f${size.name}.bin`);
      if (r.status !== 200 || r.sha !== files[size.name] || Number(r.length) !== size.bytes) {
        throw new Error(`${s.name} served f${size.name}.bin wrong: status ${r.status}, ${r.bytes} bytes, Content-Length ${r.length}`);
      }
    }
    log(`${size.label}: every server verified byte for byte`);
  }
  const results = {};
  for (const size of SIZES) {
    results[size.name] = {};
    for (const s of servers) results[size.name][s.name] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const s of order) {
        wrk(s.port, size, 1); // warm-up: connections, JIT, page cache
        const cpu0 = cpuSeconds(s.pid);
        const w = wrk(s.port, size, SECONDS);
        const cpu = cpuSeconds(s.pid) - cpu0;
        if (w.errors) log(`${s.name} ${size.label}: wrk reported ${w.errors}`);
        const rps = w.requests / w.seconds;
        const bytes = w.requests * size.bytes;
        const row = { rps, mbps: bytes / 1e6 / w.seconds, cpuUsPerReq: (cpu / w.requests) * 1e6, cpuSPerGiB: cpu / (bytes / GiB), errors: w.errors };
        results[size.name][s.name].push(row);
        log(`${size.label} round ${round + 1} ${s.name.padEnd(8)} ${rps.toFixed(0).padStart(7)} req/s ${row.mbps.toFixed(0).padStart(6)} MB/s  ${row.cpuUsPerReq.toFixed(1).padStart(8)} µs CPU/req  ${row.cpuSPerGiB.toFixed(2).padStart(6)} s CPU/GiB`);
      }
    }
  }
  const med = {};
  for (const size of SIZES) {
    med[size.name] = {};
    for (const s of servers) {
      const rows = results[size.name][s.name];
      med[size.name][s.name] = Object.fromEntries(['rps', 'mbps', 'cpuUsPerReq', 'cpuSPerGiB'].map((k) => [k, median(rows.map((r) => r[k]))]));
    }
  }
  const out = [];
  out.push(`Machine:\n\n\`\`\`\n${formatMachine(m)}\n\`\`\`\n`);
  out.push(`Servers pinned to CPU 0, wrk (1 thread) to CPU 1, keep-alive; ${SECONDS} s per run, medians of ${ROUNDS} alternating rounds; 16 KiB with 32 connections, 1 MiB with 8, 64 MiB with 2.\n`);
  out.push('| server | ' + SIZES.map((z) => `${z.label} req/s | ${z.label} MB/s | ${z.label} CPU µs/req | ${z.label} CPU s/GiB`).join(' | ') + ' |');
  out.push('|---|' + SIZES.map(() => '---|---|---|---').join('|') + '|');
  for (const s of servers) {
    out.push(`| ${s.label} | ` + SIZES.map((z) => {
      const r = med[z.name][s.name];
      return `${r.rps.toFixed(0)} | ${r.mbps.toFixed(0)} | ${r.cpuUsPerReq.toFixed(1)} | ${r.cpuSPerGiB.toFixed(2)}`;
    }).join(' | ') + ' |');
  }
  // Targets, as ratios within this run.
  const t = [];
  const ratio = (size, a, b, k) => (med[size]?.[a] && med[size]?.[b] ? med[size][a][k] / med[size][b][k] : null);
  const target = (label, value, op, bound) => {
    if (value === null) return;
    const ok = op === '>=' ? value >= bound : value <= bound;
    t.push(`| ${label} | ${value.toFixed(2)}x | ${op} ${bound}x | ${ok ? 'met' : 'NOT met'} |`);
  };
  target('16 KiB req/s vs nginx', ratio('16k', 'lib', 'nginx', 'rps'), '>=', 0.75);
  target('16 KiB req/s vs send', ratio('16k', 'lib', 'send', 'rps'), '>=', 4);
  for (const z of ['1m', '64m']) {
    const label = z === '1m' ? '1 MiB' : '64 MiB';
    target(`${label} server CPU/GiB vs nginx`, ratio(z, 'lib', 'nginx', 'cpuSPerGiB'), '<=', 1.2);
    target(`${label} server CPU/GiB vs send`, ratio(z, 'lib', 'send', 'cpuSPerGiB'), '<=', 0.5);
  }
  target('1 MiB MB/s vs nginx', ratio('1m', 'lib', 'nginx', 'mbps'), '>=', 0.9);
  if (t.length) {
    out.push('\n| target | this run | bound | |');
    out.push('|---|---|---|---|');
    out.push(...t);
  }
  console.log(out.join('\n'));
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ machine: m, seconds: SECONDS, rounds: ROUNDS, results, medians: med }, null, 2));
} finally {
  cleanup();
}
