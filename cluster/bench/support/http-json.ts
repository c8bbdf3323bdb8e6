/**
 * Plain-HTTP JSON requests with a time limit, polling with a deadline, free ports and bounded
 * parallel loops: what the benchmark needs to set up and drive both clusters.
 */
import http from 'node:http';
import net from 'node:net';

export interface JsonResponse {
  readonly status: number;
  /** The parsed body, null when it was empty or not JSON (then see `text`). */
  readonly body: Record<string, unknown> | null;
  readonly text: string;
}

export interface JsonRequestOptions {
  readonly method?: string;
  /** Serialised as JSON when given. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Default 5 s; the request fails once it passes. */
  readonly timeoutMs?: number;
  readonly agent?: http.Agent;
}

/** One HTTP request to `url` (http: only); resolves for any status, rejects on network errors. */
export function requestJson(url: string, options: JsonRequestOptions = {}): Promise<JsonResponse> {
  const method = options.method ?? 'GET';
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: options.agent,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> | null = null;
          try {
            const parsed: unknown = text === '' ? null : JSON.parse(text);
            if (parsed !== null && typeof parsed === 'object') {
              body = parsed as Record<string, unknown>;
            }
          } catch {
            body = null;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Thrown by {@link waitFor} when the condition did not hold before the deadline. */
export class WaitTimeoutError extends Error {
  readonly code = 'bench_wait_timeout';
}

/**
 * Polls `probe` every `intervalMs` until it returns true; a probe that throws counts as false and
 * its message is kept for the timeout error.
 *
 * @throws WaitTimeoutError when `timeoutMs` passes first.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const detail = lastError === '' ? '' : ` (last error: ${lastError})`;
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/**
 * Polls `probe` like {@link waitFor} until it returns something other than null, and returns that.
 *
 * @throws WaitTimeoutError when `timeoutMs` passes first.
 */
export async function pollFor<T>(
  what: string,
  probe: () => Promise<T | null>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  let found: T | null = null;
  await waitFor(
    what,
    async () => {
      found = await probe();
      return found !== null;
    },
    timeoutMs,
    intervalMs,
  );
  return found!;
}

/**
 * `count` distinct TCP ports on 127.0.0.1 that were free a moment ago: all are bound at once on
 * port 0, so the OS hands out distinct ones, then released for the servers to take.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Runs `task(0) .. task(count - 1)`, at most `concurrency` at a time; the first failure wins. */
export async function forEachConcurrently(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
