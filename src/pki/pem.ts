/** PEM blocks of a text: every `-----BEGIN X-----` … `-----END X-----` with its label and DER. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

class PemError extends Error {
  override name = 'PemError';
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Reads every PEM block; text between blocks is ignored, as OpenSSL does. */
export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match;
    if (label !== endLabel) throw new PemError(`a PEM block opened as ${label} is closed as ${endLabel}`);
    const base64 = body!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw new PemError(`the ${label} block is not valid base64`);
    }
    blocks.push({ label: label!, der: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
