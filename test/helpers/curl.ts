import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CurlResult {
  status: number;
  body: string;
  stderr: string;
}

/** The system curl with `--digest --user USER:PASSWORD …`; the status comes from `-w`, after the body. */
export async function curlDigest(user: string, password: string, args: string[]): Promise<CurlResult> {
  const { stdout, stderr } = await run('curl', [
    '--silent',
    '--show-error',
    '--digest',
    '--user',
    `${user}:${password}`,
    '--write-out',
    '\n%{http_code}',
    ...args,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut), stderr };
}
