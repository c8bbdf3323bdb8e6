/**
 * Running `coffer` commands in-process against a real node or a recording fake, with captured
 * output, a scripted stdin and a temporary HOME for the token helper.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli, type CliIo } from '../../src/cli/program.js';
import { createVaultServer } from '../../src/http/list-method/index.js';
import { startNode, type Node } from '../http/support.js';

export interface CliResult {
  status: number;
  out: string;
  err: string;
}

export interface RunOptions {
  /** What stdin holds (an empty stdin when absent). */
  stdin?: string;
  /** Pretend stdin is a terminal and answer hidden prompts with these, in order. */
  prompts?: string[];
  stdoutIsTty?: boolean;
  /** Where progress bars and spinners draw, as if standard error were a terminal. */
  progressStream?: NodeJS.WritableStream;
}

/** A temporary HOME and the environment that points commands at `address`. */
export class CliEnv {
  readonly home = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
  readonly env: Record<string, string | undefined>;
  readonly questions: string[] = [];

  constructor(address: string, extra: Record<string, string | undefined> = {}) {
    this.env = { HOME: this.home, VAULT_ADDR: address, ...extra };
  }

  /** Runs `coffer <argv>` with this environment. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    const out: string[] = [];
    const err: string[] = [];
    const prompts = [...(options.prompts ?? [])];
    const io: CliIo = {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      readStdin: async () => Buffer.from(options.stdin ?? '', 'utf8'),
      stdinIsTty: options.prompts !== undefined,
      stdoutIsTty: options.stdoutIsTty ?? false,
      progressStream: options.progressStream,
      promptHidden: async (question) => {
        this.questions.push(question);
        return prompts.shift() ?? '';
      },
    };
    const status = await runCli(argv, io, this.env);
    return { status, out: out.join(''), err: err.join('') };
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A real node (memory storage, one-node cluster) serving plain HTTP on 127.0.0.1. */
export async function startHttpNode(): Promise<{ node: Node; address: string }> {
  const node = startNode();
  const { port } = await node.server.listen({ host: '127.0.0.1', port: 0 });
  return { node, address: `http://127.0.0.1:${port}` };
}

/** What a fake server saw of one request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeServer {
  address: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A server that records every request and answers with `route(request)`: a JSON body by
 * default, raw bytes when `body` is a Buffer, 204 when there is no body. It understands the
 * LIST method, like Coffer's own listener.
 */
export async function startFakeServer(
  route: (request: RecordedRequest, server: FakeServer) => FakeAnswer,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const fake: FakeServer = { address: '', requests, close: async () => undefined };
  const server = createVaultServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json,
      };
      requests.push(recorded);
      const answer = route(recorded, fake);
      const status = answer.status ?? (answer.body === undefined ? 204 : 200);
      const raw = Buffer.isBuffer(answer.body);
      res.writeHead(status, {
        'Content-Type': raw ? 'application/octet-stream' : 'application/json',
        ...answer.headers,
      });
      if (answer.body === undefined) res.end();
      else res.end(raw ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.address = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return fake;
}

/** Vault's envelope around `data`, as the API answers a read. */
export function envelope(data: unknown, extra: Record<string, unknown> = {}): object {
  return {
    request_id: '5e7a3d4b-0000-4000-8000-000000000001',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...extra,
  };
}
