import type { KeyAlgorithm } from '../src/pki/key-algorithms.js';
import { issuanceCeiling, measureReferences as measureAll, type References } from './references.js';

/** The references, read the way the report compares dbcerts with them. */
export type ReferenceResults = References;

export const measureReferences = measureAll;

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function describe(refs: ReferenceResults): string[] {
  const lines = [
    `\`openssl speed -elapsed\` (one process, then \`-multi ${refs.cores}\`), sign/s:`,
    '',
    '| key | one core | all cores |',
    '|---|---|---|',
    ...refs.speed.map(
      (speed) =>
        `| ${speed.algorithm} | ${fixed(speed.oneCore.signPerSecond)} | ${fixed(speed.allCores.signPerSecond)} |`,
    ),
    '',
    "Raw key generation (Node's `crypto.generateKeyPair`, the OpenSSL dbcerts uses), keys/s:",
    '',
    '| key | one in flight | all cores (keys made) |',
    '|---|---|---|',
    ...refs.keyGeneration.map(
      (run) =>
        `| ${run.algorithm} | ${fixed(run.oneInFlight.keysPerSecond, 1)} | ${fixed(run.allCores.keysPerSecond, 1)} (${run.allCores.keys}) |`,
    ),
    '',
  ];
  const cfsslRows: string[] = [];
  for (const run of refs.cfssl) {
    if (!run.available) {
      cfsslRows.push(`| ${run.caKeyAlgorithm} CA | unavailable: ${run.reason} | | | |`);
      continue;
    }
    for (const scenario of run.scenarios) {
      if ('error' in scenario) {
        cfsslRows.push(`| ${scenario.keyAlgorithm} key, ${run.caKeyAlgorithm} CA | failed: ${scenario.error} | | | |`);
      } else {
        cfsslRows.push(
          `| ${scenario.keyAlgorithm} key, ${run.caKeyAlgorithm} CA, ${scenario.concurrency} concurrent | ${scenario.requests} | ` +
            `${fixed(scenario.certificatesPerSecond, scenario.certificatesPerSecond < 20 ? 1 : 0)} | ${fixed(scenario.p50Ms, 1)} | ${fixed(scenario.p99Ms, 1)} |`,
        );
      }
    }
  }
  const version = refs.cfssl.find((run) => run.available);
  lines.push(
    `cfssl \`newcert\` over HTTP${version && version.available ? ` (${version.version.split('\n')[0]}${version.debianPackage ? `, Debian ${version.debianPackage}` : ''})` : ''}:`,
    '',
    '| scenario | requests | certs/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...cfsslRows,
  );
  const ceiling = (user: KeyAlgorithm, ca: KeyAlgorithm) => {
    const keys = refs.keyGeneration.find((run) => run.algorithm === user);
    const signing = refs.speed.find((speed) => speed.algorithm === ca);
    return keys && signing ? issuanceCeiling(keys, signing).allCoresPerSecond : undefined;
  };
  const limits = [
    ['P-256 key, P-256 CA', ceiling('ec-p256', 'ec-p256')],
    ['RSA-2048 key, RSA-4096 CA', ceiling('rsa-2048', 'rsa-4096')],
    ['RSA-4096 key, RSA-4096 CA', ceiling('rsa-4096', 'rsa-4096')],
  ] as const;
  lines.push(
    '',
    'Crypto ceiling of one certificate (one key generation plus one CA signature, all cores): ' +
      limits
        .map(([name, value]) => `${name} ${value === undefined ? 'n/a' : fixed(value, value < 20 ? 1 : 0)}/s`)
        .join('; ') +
      '.',
  );
  return lines;
}

export function cfsslRate(
  refs: ReferenceResults | undefined,
  user: KeyAlgorithm,
  ca: KeyAlgorithm,
): number | undefined {
  for (const run of refs?.cfssl ?? []) {
    if (!run.available || run.caKeyAlgorithm !== ca) continue;
    for (const scenario of run.scenarios) {
      if (!('error' in scenario) && scenario.keyAlgorithm === user) return scenario.certificatesPerSecond;
    }
  }
  return undefined;
}

/** Keys per second on all cores. */
export function rawKeyRate(refs: ReferenceResults | undefined, algorithm: KeyAlgorithm): number | undefined {
  return refs?.keyGeneration.find((run) => run.algorithm === algorithm)?.allCores.keysPerSecond;
}

/** Signatures per second on all cores. */
export function signRate(refs: ReferenceResults | undefined, algorithm: KeyAlgorithm): number | undefined {
  return refs?.speed.find((speed) => speed.algorithm === algorithm)?.allCores.signPerSecond;
}
