/**
 * What HTTP alone costs on this machine, as a floor under dbcerts' figures: Node's own
 * `http` server and a bare Fastify, each on as many processes as dbcerts' default workers,
 * answer every request with a fixed body the size of a 100-certificate list page, under
 * the load generator `npm run bench` uses (16 keep-alive connections from another process,
 * no Digest). Prints requests per second and the CPU time per request of the server's
 * processes and of the load generator.
 *
 * node dist/bench/http-floor.js [--requests=N] [--workers=N]
 *
 * Run with `serve` as its argument, it is the server (a cluster primary and its workers).
 */
import cluster from 'node:cluster';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { endedChildrenCpuMs, loadFromOtherProcess, treeCpuMs } from './process.js';

const argument = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? undefined;

/** A list page's body: 100 items of Atlas' five fields, as dbcerts writes them. */
function pageBody(): string {
  const results = Array.from({ length: 100 }, (_unused, index) => ({
    _id: `${1_234_567_890_123_456_789n + BigInt(index)}`,
    createdAt: '2026-12-06T00:00:00Z',
    groupId: '6b15e24edaa7ec69f36955b0',
    notAfter: '2027-03-06T00:00:00Z',
    subject: 'CN=listed',
  }));
  return JSON.stringify({ links: [], results, totalCount: 200 });
}

async function serve(kind: string, workers: number, port: number): Promise<void> {
  if (cluster.isPrimary) {
    let listening = 0;
    cluster.on('listening', () => {
      if (++listening === workers) process.stdout.write('ready\n');
    });
    for (let index = 0; index < workers; index++) cluster.fork();
    return;
  }
  const body = pageBody();
  if (kind === 'http') {
    createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
    }).listen(port, '127.0.0.1');
    return;
  }
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/page', async (_request, reply) => reply.type('application/json').send(body));
  await app.listen({ port, host: '127.0.0.1' });
}

async function measure(kind: string, workers: number, requests: number, port: number): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), 'serve', kind, String(workers), String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
    });
    const before = treeCpuMs(child.pid!);
    const loadBefore = endedChildrenCpuMs();
    const result = await loadFromOtherProcess({
      origin: `http://127.0.0.1:${port}`,
      method: 'GET',
      paths: ['/page'],
      concurrency: 16,
      requests,
      warmupRequests: 50,
      expectStatus: 200,
    });
    if (result.failures) throw new Error(`${result.failures} failed: ${result.firstFailure}`);
    const serverMs = (treeCpuMs(child.pid!) - before) / result.requests;
    const loadMs = (endedChildrenCpuMs() - loadBefore) / result.requests;
    return `${kind === 'http' ? "Node's http" : 'bare Fastify'}, ${workers} processes: ${result.perSecond.toFixed(0)} req/s, p99 ${result.p99.toFixed(1)} ms; server ${serverMs.toFixed(3)} CPU ms/request, load generator ${loadMs.toFixed(3)}`;
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
} else {
  const requests = Number(argument('requests') ?? 20000);
  const workers = Number(argument('workers') ?? availableParallelism());
  for (const [index, kind] of ['http', 'fastify'].entries())
    process.stdout.write(`${await measure(kind, workers, requests, 18_400 + index)}\n`);
}
