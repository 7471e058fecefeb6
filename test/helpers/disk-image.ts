import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCommand } from './cli.js';

/**
 * Power cuts, simulated honestly: a copy of the page cache is not what a cut leaves (the
 * page cache is what a cut loses). `disk-image.c`, preloaded into a `dbcerts serve`, keeps
 * beside the data directory what its disk would hold: each file as of its last fsync, and
 * the writes since then. A cut copies that, either from inside the process just before one
 * of its file operations (anywhere in a transaction or a checkpoint), or from outside with
 * the process frozen (SIGSTOP). Every cut is stamped with the CLOCK_MONOTONIC instant it
 * was taken at: whatever a client had been answered before it came from a sync that
 * completed before it. A copy is then made into the files a cut could leave: the synced
 * content, plus none, an in-order part, or any part of the later writes, with torn
 * sectors of 512 bytes.
 */

const SOURCE = join(ROOT, 'test', 'helpers', 'disk-image.c');
const SECTOR = 512;
const RECORD_HEADER = 24;
const RECORD_WRITE = 1;
const RECORD_TRUNCATE = 2;

/** Compiles the preload library (the C compiler `npm ci` builds better-sqlite3 with). */
export async function buildDiskImageLibrary(dir: string): Promise<string> {
  const library = join(dir, 'disk-image.so');
  const outcome = await runCommand('cc', [
    '-shared',
    '-fPIC',
    '-O2',
    '-Wall',
    '-Wno-format-truncation',
    '-o',
    library,
    SOURCE,
    '-ldl',
    '-lpthread',
  ]);
  if (outcome.code !== 0) throw new Error(`cc ${SOURCE} failed:\n${outcome.stderr}`);
  return library;
}

/**
 * The environment that makes a process keep the disk image of `watchedDir` in `imageDir`,
 * and (with `cuts`) cut into `cuts.dir` before its k-th file operation when k is a power
 * of two or a multiple of `cuts.every`.
 */
export function diskImageEnv(
  library: string,
  imageDir: string,
  watchedDir: string,
  cuts?: { dir: string; every: number },
): Record<string, string> {
  mkdirSync(imageDir, { recursive: true });
  mkdirSync(watchedDir, { recursive: true, mode: 0o700 });
  if (cuts) mkdirSync(cuts.dir, { recursive: true });
  return {
    LD_PRELOAD: library,
    DISK_IMAGE_DIR: imageDir,
    DISK_IMAGE_WATCH: watchedDir,
    ...(cuts ? { DISK_IMAGE_CUTS: cuts.dir, DISK_IMAGE_CUT_EVERY: String(cuts.every) } : {}),
    // libuv could hand file writes to io_uring, out of the preload's sight.
    UV_USE_IO_URING: '0',
  };
}

/** Milliseconds on CLOCK_MONOTONIC, the clock cuts are stamped with (for every process of the machine). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function processState(pid: number, task: string): string {
  const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

async function frozen(pid: number): Promise<void> {
  for (;;) {
    const tasks = readdirSync(`/proc/${pid}/task`);
    if (tasks.every((task) => ['T', 't'].includes(processState(pid, task)))) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A cut from outside: freezes process `pid`, copies the disk image into `into`, and lets the process go on. */
export async function cutPower(pid: number, imageDir: string, into: string): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  try {
    await frozen(pid);
    const at = process.hrtime.bigint();
    cpSync(imageDir, into, { recursive: true });
    writeFileSync(join(into, 'at'), String(at));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

export interface Cut {
  dir: string;
  /** When it was taken (monotonicMs). */
  at: number;
}

/** The cuts taken into `dir`, in the order of their instants. */
export function cutsIn(dir: string): Cut[] {
  return readdirSync(dir)
    .map((name) => ({ dir: join(dir, name), at: Number(BigInt(readFileSync(join(dir, name, 'at'), 'utf8'))) / 1e6 }))
    .sort((a, b) => a.at - b.at);
}

interface PendingRecord {
  kind: number;
  offset: number;
  data: Buffer;
}

/** The complete records of a pending log (one being appended at the cut is not complete). */
function pendingRecords(log: Buffer): PendingRecord[] {
  const records: PendingRecord[] = [];
  for (let at = 0; at + RECORD_HEADER <= log.length;) {
    const offset = Number(log.readBigUInt64LE(at));
    const length = Number(log.readBigUInt64LE(at + 8));
    const kind = log.readUInt32LE(at + 16);
    const dataLength = kind === RECORD_WRITE ? length : 0;
    if (at + RECORD_HEADER + dataLength > log.length) break;
    records.push({ kind, offset, data: log.subarray(at + RECORD_HEADER, at + RECORD_HEADER + dataLength) });
    at += RECORD_HEADER + dataLength;
  }
  return records;
}

/** What of the writes not yet synced reached the disk before the cut. */
export type CutVariant = 'synced only' | 'in order' | 'any';

function applyRecord(file: Buffer, record: PendingRecord, sectors = Infinity): Buffer {
  if (record.kind === RECORD_TRUNCATE) return file.subarray(0, Math.min(file.length, record.offset));
  const data = record.data.subarray(0, Math.min(record.data.length, sectors * SECTOR));
  const end = record.offset + data.length;
  const result = end > file.length ? Buffer.concat([file, Buffer.alloc(end - file.length)]) : Buffer.from(file);
  data.copy(result, record.offset);
  return result;
}

/**
 * Writes into `dir` the files a cut could have left, from a cut: each file's synced
 * content, then its later writes as `variant` says (`in order`: the first n of them, the
 * last one torn; `any`: each one whole, torn or lost, and a -shm of garbage beside a
 * WAL). Returns how many later writes were applied (wholly or partly).
 */
export function filesAfterCut(copy: string, dir: string, variant: CutVariant, random: () => number): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let applied = 0;
  for (const name of readdirSync(copy).filter((entry) => !entry.endsWith('.pending') && entry !== 'at')) {
    let file: Buffer = readFileSync(join(copy, name));
    const log = join(copy, `${name}.pending`);
    const records = existsSync(log) ? pendingRecords(readFileSync(log)) : [];
    if (variant === 'in order' && records.length > 0) {
      const reached = Math.floor(random() * (records.length + 1));
      records.slice(0, reached).forEach((record, index) => {
        const torn = index === reached - 1 ? Math.floor(random() * (record.data.length / SECTOR + 1)) : Infinity;
        file = applyRecord(file, record, torn);
      });
      applied += reached;
    } else if (variant === 'any') {
      for (const record of records) {
        const fate = random();
        if (fate < 0.4) continue;
        file = applyRecord(file, record, fate < 0.7 ? Math.floor(random() * (record.data.length / SECTOR)) : Infinity);
        applied++;
      }
    }
    writeFileSync(join(dir, name), file, { mode: 0o600 });
    // A cut also leaves SQLite's shared-memory index, in any state: garbage, for `any`.
    if (variant === 'any' && name.endsWith('-wal')) {
      const garbage = Buffer.from(Array.from({ length: 32768 }, () => Math.floor(random() * 256)));
      writeFileSync(join(dir, `${name.slice(0, -4)}-shm`), garbage, { mode: 0o600 });
    }
  }
  return applied;
}
