import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CurlResult {
  status: number;
  body: string;
  stderr: string;
}

/** The system curl with `--digest --user PUB:PRIV …`; the status comes from `-w`, after the body. */
export async function curlDigest(
  credentials: { publicKey: string; privateKey: string },
  args: string[],
): Promise<CurlResult> {
  const { stdout, stderr } = await run('curl', [
    '--silent',
    '--show-error',
    '--digest',
    '--user',
    `${credentials.publicKey}:${credentials.privateKey}`,
    '--write-out',
    '\n%{http_code}',
    ...args,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut), stderr };
}
