import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LoadResult, LoadSpec } from './load-generator.js';

const run = promisify(execFile);
const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/** Runs one load in a separate Node process (so it never shares the server's event loop). */
export async function loadFromOtherProcess(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, [LOAD_GENERATOR, JSON.stringify(spec)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
}

/** A process and every process below it (a server's workers), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** A field of /proc/PID/stat (0-based after the command name), or 0 once the process is gone. */
function statField(pid: number, index: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[index]);
  } catch {
    return 0;
  }
}

const TICKS_PER_MS = 100 / 1000; // USER_HZ = 100

/** utime + stime (ms) of a process and every process below it. */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (statField(pid, 11) + statField(pid, 12)) / TICKS_PER_MS, 0);
}

/**
 * CPU (ms) of a server that runs a process per connection (PostgreSQL's postmaster): its
 * tree, plus the children it has reaped, so a backend that ends during a measurement still counts.
 */
export function serverTreeCpuMs(root: number): number {
  return treeCpuMs(root) + (statField(root, 13) + statField(root, 14)) / TICKS_PER_MS;
}

/** CPU (ms) of this process's children that have ended: the load generators. */
export function endedChildrenCpuMs(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_MS;
}
