/**
 * The references `npm run bench` compares dbcerts against, measured on this machine in
 * the same run, on loopback only, with bounded counts and time budgets:
 *
 * - the limit: what OpenSSL itself does per core and on all cores, both through
 *   `openssl speed` (signatures, what the CA spends per certificate) and through a raw
 *   loop of Node's `crypto.generateKeyPair` (key generation, the same native OpenSSL call
 *   dbcerts makes for a managed user's key);
 * - the peer: Cloudflare's cfssl as Debian packages it (`golang-cfssl`), issuing the
 *   same key types through its HTTP `newcert` endpoint, driven by the same out-of-process
 *   load generator that measures dbcerts.
 *
 * Run alone: `node dist/bench/references.js` prints one JSON document.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPair, X509Certificate } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type KeyAlgorithm, keyAlgorithmSpec } from '../src/pki/key-algorithms.js';
import type { LoadResult } from './load-generator.js';
import { loadFromOtherProcess } from './process.js';

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

/** Cores the references spread over (`-multi` for openssl, keys in flight for Node). */
const MACHINE_CORES = availableParallelism();

// ---------------------------------------------------------------------------------------
// 1. `openssl speed`: signatures per second, the CA's share of each certificate
// ---------------------------------------------------------------------------------------

/** Sign and verify operations per second, wall-clock. */
export interface SignVerifyRate {
  signPerSecond: number;
  verifyPerSecond: number;
}

/** `openssl speed` for one key algorithm, run once in one process and once with `-multi`. */
export interface OpensslSpeed {
  algorithm: KeyAlgorithm;
  /** The algorithm name as `openssl speed` spells it (`rsa4096`, `ecdsap256`, …). */
  opensslName: string;
  /** `-seconds`: how long each of sign and verify ran, per process. */
  secondsPerOperation: number;
  /** One process: the per-core rate. */
  oneCore: SignVerifyRate;
  /** `-multi <processes>`: the sum over the processes, plus that sum divided per process. */
  allCores: SignVerifyRate & { processes: number; perCore: SignVerifyRate };
}

export interface OpensslSpeedOptions {
  /** Defaults to rsa-2048, rsa-4096, ec-p256, ec-p384. */
  algorithms?: KeyAlgorithm[];
  /** Per operation and per algorithm, in each of the two runs (default 2). */
  secondsPerOperation?: number;
  /** Processes for the `-multi` run (default: this machine's cores). */
  cores?: number;
}

/** `openssl speed`'s name of an algorithm: rsa4096, ecdsap256, … */
function opensslSpeedName(algorithm: KeyAlgorithm): string {
  const { keyGeneration } = keyAlgorithmSpec(algorithm);
  return keyGeneration.type === 'rsa'
    ? `rsa${keyGeneration.options.modulusLength}`
    : `ecdsa${keyGeneration.options.namedCurve.replace('-', '').toLowerCase()}`;
}

/**
 * The final machine-readable result line of `openssl speed -mr`: `+F2` for RSA, `+F4` for
 * ECDSA, then the algorithm's index and bits, then sign/s and verify/s (OpenSSL 3.2+
 * appends more RSA columns after these two; they are ignored). In `-multi` mode the
 * children's own lines come first, prefixed with `Got:`, which the `^` anchor skips.
 */
const SPEED_RESULT_LINE = /^\+F[24]:\d+:\d+:([0-9.]+):([0-9.]+)/m;

/**
 * Runs `openssl speed -elapsed -mr` once per algorithm (so each result line is
 * unambiguous: ECDSA lines carry only the bit size, which several curves share), first in
 * one process, then with `-multi <cores>`. `-elapsed` divides by wall-clock time rather
 * than the default user CPU time, so the rates are in the same unit as the HTTP load
 * generator's (and, like them, are lowered by anything else running on the machine).
 * Runs one after the other; takes 2 × 2 × secondsPerOperation per algorithm.
 */
export async function opensslSpeed(options: OpensslSpeedOptions = {}): Promise<OpensslSpeed[]> {
  const algorithms = options.algorithms ?? ['rsa-2048', 'rsa-4096', 'ec-p256', 'ec-p384'];
  const secondsPerOperation = options.secondsPerOperation ?? 2;
  const cores = options.cores ?? MACHINE_CORES;
  const results: OpensslSpeed[] = [];
  for (const algorithm of algorithms) {
    const opensslName = opensslSpeedName(algorithm);
    const oneCore = await runOpensslSpeed(opensslName, secondsPerOperation, 1);
    const allCoresTotal = await runOpensslSpeed(opensslName, secondsPerOperation, cores);
    results.push({
      algorithm,
      opensslName,
      secondsPerOperation,
      oneCore,
      allCores: {
        ...allCoresTotal,
        processes: cores,
        perCore: {
          signPerSecond: allCoresTotal.signPerSecond / cores,
          verifyPerSecond: allCoresTotal.verifyPerSecond / cores,
        },
      },
    });
  }
  return results;
}

async function runOpensslSpeed(name: string, seconds: number, processes: number): Promise<SignVerifyRate> {
  const args = ['speed', '-elapsed', '-mr', '-seconds', String(seconds)];
  if (processes > 1) args.push('-multi', String(processes));
  args.push(name);
  // Two operations of `seconds` each, plus key set-up; a generous cap so a wedged run ends.
  const { stdout } = await execFileAsync('openssl', args, { timeout: (4 * seconds + 30) * 1000 });
  const match = SPEED_RESULT_LINE.exec(stdout);
  if (!match) throw new Error(`openssl ${args.join(' ')}: no result line in output:\n${stdout}`);
  return { signPerSecond: Number(match[1]), verifyPerSecond: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------
// 2. Raw key generation: the limit for a managed user's key
// ---------------------------------------------------------------------------------------

/** One closed loop of key generation with a fixed number of keys in flight. */
export interface KeyGenerationRun {
  /** Keys generated at once (libuv thread-pool threads kept busy). */
  inFlight: number;
  /** Keys completed, including those in flight when the budget ran out. */
  keys: number;
  /** Wall-clock from the first start to the last completion. */
  seconds: number;
  keysPerSecond: number;
  /** keysPerSecond ÷ inFlight: what one busy core yields in this run. */
  keysPerSecondPerCore: number;
  /** Wall-clock milliseconds per key (RSA varies a lot: the prime search is random). */
  p50Ms: number;
  maxMs: number;
}

export interface RawKeyGeneration {
  algorithm: KeyAlgorithm;
  /** One key in flight: the per-core rate without any contention. */
  oneInFlight: KeyGenerationRun;
  /** `cores` keys in flight: the machine's limit. */
  allCores: KeyGenerationRun;
  /** libuv's pool size; if below `cores`, allCores is capped by it, not by the CPU. */
  threadPoolSize: number;
}

export interface RawKeyGenerationOptions {
  /** Keys in flight for the all-cores run (default: this machine's cores). */
  cores?: number;
  /** Time budget per run; no new key is started after it (default per algorithm). */
  seconds?: number;
  /** Count budget per run; whichever budget runs out first ends the run. */
  maxKeys?: number;
}

/**
 * Default budgets per run. RSA-4096 takes ~0.5–4 s per key on one core, so it is bound
 * by time, long enough for ~20 keys per core (the sustained issuance it is compared with
 * takes 48); RSA-2048 gets ten seconds, some 80 keys (three seconds gave 26, and the ratio to
 * them moved between 78% and 124% from run to run); EC keys are quick enough that a few
 * seconds give thousands.
 */
const KEY_GENERATION_BUDGETS: Partial<Record<KeyAlgorithm, { seconds: number; maxKeys: number }>> = {
  'rsa-4096': { seconds: 30, maxKeys: 200 },
  'rsa-3072': { seconds: 5, maxKeys: 400 },
  'rsa-2048': { seconds: 10, maxKeys: 1_000 },
  'ec-p256': { seconds: 1.5, maxKeys: 50_000 },
  'ec-p384': { seconds: 1.5, maxKeys: 20_000 },
};

/** Budgets of an algorithm without its own: by cost, like the pool's lanes. */
const budgetOf = (algorithm: KeyAlgorithm) =>
  KEY_GENERATION_BUDGETS[algorithm] ??
  (keyAlgorithmSpec(algorithm).cheap ? { seconds: 1.5, maxKeys: 20_000 } : { seconds: 8, maxKeys: 200 });

/** The parameters dbcerts passes for each algorithm (src/pki/key-algorithms.ts). */
function generateRawKey(algorithm: KeyAlgorithm): Promise<unknown> {
  const { type, options } = keyAlgorithmSpec(algorithm).keyGeneration;
  return (generateKeyPairAsync as (type: string, options: object) => Promise<unknown>)(type, options);
}

/**
 * Generates keys with Node's asynchronous `crypto.generateKeyPair` (OpenSSL on libuv's
 * thread pool, KeyObjects out, no encoding) in a closed loop: first one key in flight,
 * then `cores` keys in flight. Each run stops starting keys when its time or count
 * budget is spent and waits for the keys already started, so no work is thrown away;
 * the rate is completed keys over the wall-clock time to the last completion.
 */
export async function rawKeyGeneration(
  algorithm: KeyAlgorithm,
  options: RawKeyGenerationOptions = {},
): Promise<RawKeyGeneration> {
  const budget = {
    seconds: options.seconds ?? budgetOf(algorithm).seconds,
    maxKeys: options.maxKeys ?? budgetOf(algorithm).maxKeys,
  };
  const cores = options.cores ?? MACHINE_CORES;
  // One unmeasured key first: loads the provider and warms whatever OpenSSL caches.
  await generateRawKey(algorithm);
  const oneInFlight = await keyGenerationLoop(algorithm, 1, budget);
  const allCores = await keyGenerationLoop(algorithm, cores, budget);
  return { algorithm, oneInFlight, allCores, threadPoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4) };
}

async function keyGenerationLoop(
  algorithm: KeyAlgorithm,
  inFlight: number,
  budget: { seconds: number; maxKeys: number },
): Promise<KeyGenerationRun> {
  const durations: number[] = [];
  let started = 0;
  const start = performance.now();
  const deadline = start + budget.seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < budget.maxKeys && performance.now() < deadline) {
        started++;
        const t0 = performance.now();
        await generateRawKey(algorithm);
        durations.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  durations.sort((a, b) => a - b);
  const keysPerSecond = durations.length / seconds;
  return {
    inFlight,
    keys: durations.length,
    seconds,
    keysPerSecond,
    keysPerSecondPerCore: keysPerSecond / inFlight,
    p50Ms: durations[Math.floor(durations.length / 2)] ?? NaN,
    maxMs: durations.at(-1) ?? NaN,
  };
}

/**
 * The crypto ceiling for issuing one certificate with a fresh user key: one key
 * generation plus one CA signature, done back to back, so their times add up (the
 * harmonic combination of the two rates). Everything else a CA does (encoding, storage,
 * HTTP, Digest) only lowers the rate further, so dbcerts ÷ this is at most ~1 (a warm key
 * pool can beat it briefly, never for long).
 */
export function issuanceCeiling(
  keyGeneration: RawKeyGeneration,
  caSignature: OpensslSpeed,
): { perCorePerSecond: number; allCoresPerSecond: number } {
  const combine = (keysPerSecond: number, signaturesPerSecond: number) =>
    1 / (1 / keysPerSecond + 1 / signaturesPerSecond);
  return {
    perCorePerSecond: combine(keyGeneration.oneInFlight.keysPerSecond, caSignature.oneCore.signPerSecond),
    allCoresPerSecond: combine(keyGeneration.allCores.keysPerSecond, caSignature.allCores.signPerSecond),
  };
}

// ---------------------------------------------------------------------------------------
// 3. cfssl `newcert`: the peer
// ---------------------------------------------------------------------------------------

/** One load against cfssl's `newcert`: cfssl generates the user key and signs it. */
export interface CfsslScenario {
  /** The user key type cfssl is asked to generate. */
  keyAlgorithm: KeyAlgorithm;
  /** Keep-alive connections, each with one request outstanding (closed loop). */
  concurrency: number;
  /** Measured requests, shared by all connections. */
  requests: number;
  /** Unmeasured requests per connection before the clock starts (default 1; each issues a certificate). */
  warmupRequests?: number;
}

export interface CfsslNewcertOptions {
  /** Key type of the CA cfssl signs with. */
  caKeyAlgorithm: KeyAlgorithm;
  /** Run one after the other against the same CA and server. */
  scenarios: CfsslScenario[];
}

/** What the one checked response showed: a real certificate, from this CA, for a client. */
export interface CfsslIssuanceCheck {
  /** `openssl verify -purpose sslclient` against the CA: chain and client-auth EKU. */
  opensslVerify: string;
  /** The certificate's public key, e.g. `rsa 2048` or `ec prime256v1`. */
  publicKey: string;
  /** The returned private key matches the certificate. */
  privateKeyMatches: boolean;
}

export type CfsslScenarioResult =
  | {
      keyAlgorithm: KeyAlgorithm;
      concurrency: number;
      requests: number;
      failures: number;
      firstFailure?: string;
      seconds: number;
      certificatesPerSecond: number;
      p50Ms: number;
      p90Ms: number;
      p99Ms: number;
      check: CfsslIssuanceCheck;
    }
  | { keyAlgorithm: KeyAlgorithm; concurrency: number; requests: number; error: string };

export type CfsslNewcert =
  | {
      available: true;
      /** `cfssl version` output, plus the Debian package version when dpkg knows it. */
      version: string;
      debianPackage?: string;
      caKeyAlgorithm: KeyAlgorithm;
      /** `cfssl gencert -initca` wall-clock (CA key generation included). */
      caCreationMs: number;
      /** From spawning `cfssl serve` to its first HTTP answer. */
      serverStartMs: number;
      scenarios: CfsslScenarioResult[];
    }
  | { available: false; reason: string; caKeyAlgorithm: KeyAlgorithm };

const NEWCERT_PATH = '/api/v1/cfssl/newcert';
const CLIENT_PROFILE = 'client';
/** 2160 h = 90 days, matching the 3 months dbcerts' benchmark asks for. */
const CLIENT_EXPIRY = '2160h';

/** cfssl's CSR `key` object: `algo` is `rsa` or `ecdsa`, `size` the modulus or curve bits. */
function cfsslKeyRequest(algorithm: KeyAlgorithm): { algo: 'rsa' | 'ecdsa'; size: number } {
  const { keyGeneration } = keyAlgorithmSpec(algorithm);
  return keyGeneration.type === 'rsa'
    ? { algo: 'rsa', size: keyGeneration.options.modulusLength }
    : { algo: 'ecdsa', size: Number(keyGeneration.options.namedCurve.slice(2)) };
}

let cfsslInstallation: Promise<{ version: string; debianPackage?: string } | { reason: string }> | undefined;

/** Finds `cfssl`, installing Debian's golang-cfssl once per process if it is missing. */
function ensureCfssl(): Promise<{ version: string; debianPackage?: string } | { reason: string }> {
  cfsslInstallation ??= (async () => {
    const installed = await cfsslVersion();
    if (installed) return installed;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const aptGet = (...args: string[]) => execFileAsync('apt-get', args, { env, timeout: 300_000 });
    try {
      await aptGet('install', '-y', 'golang-cfssl');
    } catch {
      // A fresh machine may have no package lists yet: refresh them once and retry.
      try {
        await aptGet('update');
        await aptGet('install', '-y', 'golang-cfssl');
      } catch (error) {
        return { reason: `cfssl not on PATH and apt-get install golang-cfssl failed: ${describe(error)}` };
      }
    }
    return (await cfsslVersion()) ?? { reason: 'golang-cfssl installed but `cfssl version` still fails' };
  })();
  return cfsslInstallation;
}

async function cfsslVersion(): Promise<{ version: string; debianPackage?: string } | undefined> {
  try {
    const { stdout } = await execFileAsync('cfssl', ['version']);
    // "Version: 1.2.0\nRevision: dev\nRuntime: go1.19.8" → one line.
    const version = stdout.trim().split('\n').join(', ');
    try {
      const { stdout: debianPackage } = await execFileAsync('dpkg-query', ['-W', '-f', '${Version}', 'golang-cfssl']);
      return { version, debianPackage: `golang-cfssl ${debianPackage.trim()}` };
    } catch {
      return { version }; // cfssl from elsewhere than Debian's package
    }
  } catch {
    return undefined;
  }
}

/**
 * The peer. Creates a CA of `caKeyAlgorithm` with `cfssl gencert -initca`, writes a
 * signing config whose `client` profile gives digital signature + client auth for 2160 h,
 * starts `cfssl serve` on a free loopback port, checks one `newcert` response end to end
 * (success, `openssl verify` against the CA, key type, key/certificate match), then runs
 * each scenario through the out-of-process load generator (closed loop, keep-alive
 * connections, bounded request count, every response must be 200). cfssl generates each
 * user key itself, in Go; the CA key stays in its memory. cfssl is stopped afterwards,
 * whatever happened; failures come back as results, never as exceptions.
 */
export async function cfsslNewcert(options: CfsslNewcertOptions): Promise<CfsslNewcert> {
  const { caKeyAlgorithm } = options;
  const installation = await ensureCfssl();
  if ('reason' in installation) return { available: false, reason: installation.reason, caKeyAlgorithm };

  const workDir = mkdtempSync(join(tmpdir(), 'dbcerts-bench-cfssl-'));
  const files = {
    caCsr: join(workDir, 'ca-csr.json'),
    caCert: join(workDir, 'ca.pem'),
    caKey: join(workDir, 'ca-key.pem'),
    config: join(workDir, 'config.json'),
    log: join(workDir, 'serve.log'),
  };
  let server: ChildProcess | undefined;
  const killServerOnExit = () => server?.kill('SIGKILL');
  process.once('exit', killServerOnExit);
  try {
    // The CA. cfssl prints {cert, csr, key} as JSON; parsed here so cfssljson is not needed.
    writeFileSync(files.caCsr, JSON.stringify({ CN: 'dbcerts bench cfssl CA', key: cfsslKeyRequest(caKeyAlgorithm) }));
    const caStarted = performance.now();
    const { stdout: caJson } = await execFileAsync('cfssl', ['gencert', '-initca', files.caCsr], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    const caCreationMs = performance.now() - caStarted;
    const ca = JSON.parse(caJson) as { cert?: string; key?: string };
    if (!ca.cert || !ca.key) throw new Error(`cfssl gencert -initca returned no cert/key: ${caJson.slice(0, 300)}`);
    writeFileSync(files.caCert, ca.cert);
    writeFileSync(files.caKey, ca.key, { mode: 0o600 });
    const clientProfile = { usages: ['digital signature', 'client auth'], expiry: CLIENT_EXPIRY };
    writeFileSync(
      files.config,
      JSON.stringify({ signing: { default: clientProfile, profiles: { [CLIENT_PROFILE]: clientProfile } } }),
    );

    // The server, at its default log level; its log goes to a file so no pipe can fill up
    // and the tail can explain a failure.
    const port = await freeLoopbackPort();
    const origin = `http://127.0.0.1:${port}`;
    const logFd = openSync(files.log, 'w');
    const serverStarted = performance.now();
    try {
      server = spawn(
        'cfssl',
        ['serve', '-address', '127.0.0.1', '-port', String(port)].concat([
          '-ca',
          files.caCert,
          '-ca-key',
          files.caKey,
          '-config',
          files.config,
        ]),
        { stdio: ['ignore', logFd, logFd] },
      );
    } finally {
      closeSync(logFd); // the child has its own copy
    }
    server.on('error', () => {}); // surfaces below as "exited before answering"
    await waitUntilAnswering(origin, server);
    const serverStartMs = performance.now() - serverStarted;

    const scenarios: CfsslScenarioResult[] = [];
    for (const scenario of options.scenarios) {
      scenarios.push(await runCfsslScenario(origin, scenario, files.caCert, workDir));
    }
    return {
      available: true,
      version: installation.version,
      ...(installation.debianPackage ? { debianPackage: installation.debianPackage } : {}),
      caKeyAlgorithm,
      caCreationMs,
      serverStartMs,
      scenarios,
    };
  } catch (error) {
    return { available: false, reason: `${describe(error)}${logTail(files.log)}`, caKeyAlgorithm };
  } finally {
    if (server) await stop(server);
    process.removeListener('exit', killServerOnExit);
    rmSync(workDir, { recursive: true, force: true });
  }
}

function newcertBody(keyAlgorithm: KeyAlgorithm): string {
  return JSON.stringify({
    request: { CN: 'bench-user', key: cfsslKeyRequest(keyAlgorithm) },
    profile: CLIENT_PROFILE,
  });
}

async function runCfsslScenario(
  origin: string,
  scenario: CfsslScenario,
  caCertFile: string,
  workDir: string,
): Promise<CfsslScenarioResult> {
  const { keyAlgorithm, concurrency, requests } = scenario;
  const body = newcertBody(keyAlgorithm);
  try {
    const check = await checkOneIssuance(origin, body, keyAlgorithm, caCertFile, workDir);
    const load: LoadResult = await loadFromOtherProcess({
      origin,
      method: 'POST',
      paths: [NEWCERT_PATH],
      body,
      contentType: 'application/json',
      concurrency,
      requests,
      warmupRequests: scenario.warmupRequests ?? 1,
      expectStatus: 200,
    });
    return {
      keyAlgorithm,
      concurrency,
      requests: load.requests,
      failures: load.failures,
      ...(load.firstFailure ? { firstFailure: load.firstFailure } : {}),
      seconds: load.seconds,
      certificatesPerSecond: load.perSecond,
      p50Ms: load.p50,
      p90Ms: load.p90,
      p99Ms: load.p99,
      check,
    };
  } catch (error) {
    return { keyAlgorithm, concurrency, requests, error: describe(error) };
  }
}

/** One `newcert` by hand, taken apart: proof that the load measures real issuance. */
async function checkOneIssuance(
  origin: string,
  body: string,
  keyAlgorithm: KeyAlgorithm,
  caCertFile: string,
  workDir: string,
): Promise<CfsslIssuanceCheck> {
  const response = await fetch(origin + NEWCERT_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const parsed = JSON.parse(text) as {
    success?: boolean;
    result?: { certificate?: string; private_key?: string };
  };
  const certificatePem = parsed.result?.certificate;
  const privateKeyPem = parsed.result?.private_key;
  if (response.status !== 200 || parsed.success !== true || !certificatePem || !privateKeyPem)
    throw new Error(`newcert did not succeed: ${response.status} ${text.slice(0, 300)}`);

  const certificateFile = join(workDir, `user-${keyAlgorithm}.pem`);
  writeFileSync(certificateFile, certificatePem);
  const { stdout } = await execFileAsync('openssl', [
    'verify',
    '-CAfile',
    caCertFile,
    '-purpose',
    'sslclient',
    certificateFile,
  ]);
  // "<file>: OK"; the temporary path says nothing, so only the file's name is kept.
  const opensslVerify = stdout.trim().replace(workDir + '/', '');
  if (!opensslVerify.endsWith(': OK')) throw new Error(`openssl verify: ${opensslVerify}`);

  const certificate = new X509Certificate(certificatePem);
  const { publicKey } = certificate;
  const details = publicKey.asymmetricKeyDetails;
  const publicKeyDescription = `${publicKey.asymmetricKeyType} ${details?.modulusLength ?? details?.namedCurve}`;
  const spec = keyAlgorithmSpec(keyAlgorithm);
  const expected =
    spec.keyGeneration.type === 'rsa'
      ? `rsa ${spec.keyGeneration.options.modulusLength}`
      : `${spec.keyGeneration.type} ${spec.opensslCurve}`;
  if (publicKeyDescription !== expected)
    throw new Error(`newcert returned a ${publicKeyDescription} key, asked for ${expected}`);
  const privateKeyMatches = certificate.checkPrivateKey(createPrivateKey(privateKeyPem));
  if (!privateKeyMatches) throw new Error('newcert returned a private key that does not match its certificate');
  return { opensslVerify, publicKey: publicKeyDescription, privateKeyMatches };
}

/** A port the kernel just gave out on loopback; cfssl binds it a moment later. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port from the kernel'))));
    });
  });
}

/** Polls `info` (cheap, needs no key generation) until any HTTP answer comes back. */
async function waitUntilAnswering(origin: string, server: ChildProcess): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`cfssl serve exited (${server.exitCode ?? server.signalCode}) before answering`);
    try {
      await fetch(`${origin}/api/v1/cfssl/info`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('cfssl serve did not answer within 15 s'); // the caller appends its log
}

/** SIGTERM, then SIGKILL if it has not exited within 3 s; resolves once it is gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

function logTail(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    return lines ? `\ncfssl log:\n${lines}` : '';
  } catch {
    return '';
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim()
      ? `${error.message.split('\n')[0]}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
      : error.message;
  }
  return String(error);
}

// ---------------------------------------------------------------------------------------
// All references with the budgets the benchmark uses, and the CLI
// ---------------------------------------------------------------------------------------

export interface References {
  cores: number;
  openssl: string;
  speed: OpensslSpeed[];
  keyGeneration: RawKeyGeneration[];
  cfssl: CfsslNewcert[];
  totalSeconds: number;
}

/**
 * Everything the benchmark compares against, in about 1.5 minutes on 2 cores: `openssl
 * speed` for the four key types, raw key generation for RSA-4096/RSA-2048/P-256, and
 * cfssl issuing P-256 keys under a P-256 CA, RSA-2048 and (few) RSA-4096 keys under an
 * RSA-4096 CA. The measurements run one after the other so none competes with another.
 */
export async function measureReferences(): Promise<References> {
  const started = performance.now();
  const openssl = (await execFileAsync('openssl', ['version'])).stdout.trim();
  const speed = await opensslSpeed({ secondsPerOperation: 2 });
  const keyGeneration: RawKeyGeneration[] = [];
  for (const algorithm of ['rsa-4096', 'rsa-2048', 'ec-p256'] as const) {
    keyGeneration.push(await rawKeyGeneration(algorithm));
  }
  const cfssl = [
    await cfsslNewcert({
      caKeyAlgorithm: 'ec-p256',
      // Warmed up as dbcerts is (6,000 requests before the measured ones), though Go needs no JIT.
      scenarios: [{ keyAlgorithm: 'ec-p256', concurrency: 16, requests: 4_000, warmupRequests: 375 }],
    }),
    await cfsslNewcert({
      caKeyAlgorithm: 'rsa-4096',
      scenarios: [
        { keyAlgorithm: 'rsa-2048', concurrency: 4, requests: 40 },
        // Each request is a Go RSA-4096 key generation (seconds): few, and no warm-up.
        { keyAlgorithm: 'rsa-4096', concurrency: 2, requests: 4, warmupRequests: 0 },
      ],
    }),
  ];
  return {
    cores: MACHINE_CORES,
    openssl,
    speed,
    keyGeneration,
    cfssl,
    totalSeconds: (performance.now() - started) / 1000,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const references = await measureReferences();
  process.stdout.write(`${JSON.stringify(references, null, 2)}\n`);
}
