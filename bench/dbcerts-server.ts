import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { processTree } from './process.js';

const BIN = fileURLToPath(new URL('../../bin/dbcerts.js', import.meta.url));

export interface Credentials {
  orgId: string;
  groupId: string;
  publicKey: string;
  privateKey: string;
}

export interface RunningServer {
  origin: string;
  pid: number;
  credentials: Credentials;
  /** From spawning `dbcerts serve` to its banner (store opened, migrated, bootstrapped, listening). */
  readyMs: number;
  /** Peak resident memory so far (VmHWM) of the server's processes, added up, in MiB. */
  peakRssMb(): number;
  /** Ready keys of an algorithm in the key pool, from /metrics. */
  poolDepth(algorithm: string): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `dbcerts serve` exactly as an operator would (its own process, the embedded
 * store in `dataDir`), with Atlas' rate limits off: the benchmark measures the server,
 * not the 500-requests-a-minute budget Atlas gives a project.
 */
export async function startDbcerts(
  dataDir: string,
  env: Record<string, string>,
  nodeArguments: string[] = [],
): Promise<RunningServer> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArguments, BIN, 'serve', '--data', dataDir, '--port', String(port)],
    {
      env: { ...process.env, HOST: '127.0.0.1', DBCERTS_RATE_LIMITS: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dbcerts did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/\n {2}curl /.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(() => reject(new Error(`dbcerts exited:\n${output}`)));
  });
  const readyMs = performance.now() - started;
  // Keep draining the access log so the server never blocks on a full pipe.
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  const origin = `http://127.0.0.1:${port}`;
  const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as Credentials;
  const pid = child.pid!;
  return {
    origin,
    pid,
    credentials,
    readyMs,
    peakRssMb() {
      let kilobytes = 0;
      for (const member of processTree(pid)) {
        try {
          kilobytes += Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'))![1]);
        } catch {
          // gone meanwhile
        }
      }
      return kilobytes / 1024;
    },
    async poolDepth(algorithm: string) {
      const text = await (await fetch(`${origin}/metrics`)).text();
      const line = text.split('\n').find((row) => row.startsWith(`dbcerts_key_pool_depth{algorithm="${algorithm}"}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
