import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { generateEncodedKeySync, type KeyAlgorithm } from './key-algorithms.js';

/**
 * One background key-generation thread. On Linux the nice value belongs to the thread,
 * so lowering it here lets key generation use every idle core while request handling
 * (the main thread) always runs first. Elsewhere it would renice the whole process,
 * so it is left alone there.
 */
if (process.platform === 'linux' && typeof workerData?.nice === 'number') setPriority(0, workerData.nice);

export interface GenerateRequest {
  id: number;
  algorithm: KeyAlgorithm;
}

parentPort!.on('message', ({ id, algorithm }: GenerateRequest) => {
  try {
    const { spki, pkcs8Pem } = generateEncodedKeySync(algorithm);
    // Copied to the main thread in memory; nothing is written anywhere.
    parentPort!.postMessage({ id, spki, pkcs8Pem });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
