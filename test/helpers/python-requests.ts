import { execFile } from 'node:child_process';
import { parseJsonExact } from './digest-client.js';

/**
 * Python `requests` with `HTTPDigestAuth`, as Atlas users script against the API: one
 * session per call, so the requests after the first reuse its nonce with nc 2, 3, …
 * (the way requests does). Debian's interpreter and package (`python3-requests`), not
 * whatever `python3` is first on PATH.
 */

const PYTHON = '/usr/bin/python3';

export interface PythonRequest {
  method: string;
  /** Path and query, sent as written. */
  target: string;
  /** A body sent byte for byte, with `Content-Type: application/json` unless headers say otherwise. */
  body?: string;
  headers?: Record<string, string>;
}

export interface PythonResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = any>(): T;
}

const SCRIPT = `
import json, sys
import requests
from requests.auth import HTTPDigestAuth
spec = json.load(sys.stdin)
session = requests.Session()
session.auth = HTTPDigestAuth(spec["user"], spec["password"])
answers = []
for item in spec["requests"]:
    headers = {"Accept": "application/json"}
    if item.get("body") is not None:
        headers["Content-Type"] = "application/json"
    headers.update(item.get("headers") or {})
    body = item["body"].encode("utf-8") if item.get("body") is not None else None
    response = session.request(item["method"], spec["origin"] + item["target"], data=body, headers=headers, timeout=30)
    answers.append({"status": response.status_code, "headers": dict(response.headers), "text": response.text})
json.dump(answers, sys.stdout)
`;

/** Sends `requests` in order through one requests session authenticated as `user`/`password`. */
export function pythonRequests(
  origin: string,
  credentials: { publicKey: string; privateKey: string },
  requests: PythonRequest[],
): Promise<PythonResponse[]> {
  const spec = JSON.stringify({ origin, user: credentials.publicKey, password: credentials.privateKey, requests });
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      ['-c', SCRIPT],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`python requests failed: ${error.message}\n${stderr}`));
        const answers = JSON.parse(stdout) as Array<Omit<PythonResponse, 'json'>>;
        resolve(
          answers.map((answer) => ({
            ...answer,
            headers: Object.fromEntries(
              Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), value]),
            ),
            json: () => parseJsonExact(answer.text),
          })),
        );
      },
    );
    child.stdin!.end(spec);
  });
}
