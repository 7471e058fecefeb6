import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const derive = promisify(pbkdf2);

/** mongod's defaults for SCRAM-SHA-256 (scramSHA256IterationCount, 28-byte salt). */
const ITERATIONS = 15000;
const SALT_BYTES = 28;

export interface ScramSha256Credentials {
  iterationCount: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

/**
 * The SCRAM-SHA-256 credentials of RFC 7677 for a password: what a MongoDB server
 * stores, and enough to verify the password later, never the password itself.
 * (Passwords are taken as given; mongod additionally applies SASLprep.)
 */
export async function scramSha256Credentials(password: string): Promise<ScramSha256Credentials> {
  const salt = randomBytes(SALT_BYTES);
  const saltedPassword = await derive(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  return {
    iterationCount: ITERATIONS,
    salt: salt.toString('base64'),
    storedKey: createHash('sha256').update(clientKey).digest('base64'),
    serverKey: createHmac('sha256', saltedPassword).update('Server Key').digest('base64'),
  };
}
