import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

/**
 * True when stored SCRAM-SHA-256 credentials (base64 salt and keys, RFC 7677) are those of
 * `password`: computed here with Node's primitives, not with dbcerts' own SCRAM code.
 */
export function scramMatches(
  credentials: { iterationCount: number; salt: string; storedKey: string; serverKey: string },
  password: string,
): boolean {
  const salted = pbkdf2Sync(
    password,
    Buffer.from(credentials.salt, 'base64'),
    credentials.iterationCount,
    32,
    'sha256',
  );
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return (
    createHash('sha256').update(clientKey).digest('base64') === credentials.storedKey &&
    createHmac('sha256', salted).update('Server Key').digest('base64') === credentials.serverKey
  );
}
