/**
 * A client for tests that speaks HTTP/1.1 as raw bytes over a real socket (TCP or TLS to
 * 127.0.0.1), and parses the responses that come back, so a test controls exactly what the
 * server's framing tracker sees.
 */
import net from 'node:net';
import tls from 'node:tls';

/** One parsed response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DEADLINE_MS = 5000;

/** A raw connection: write bytes, then wait for responses or for the server to close. */
export class RawConnection {
  #received = Buffer.alloc(0);
  #closed = false;
  readonly #waiters = new Set<() => void>();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      this.#received = Buffer.concat([this.#received, data]);
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  /** Connects over plain TCP. */
  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  /** Connects over TLS, with whatever client certificate `options` carries. */
  static async openTls(port: number, options: tls.ConnectionOptions): Promise<RawConnection> {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  /** Everything received so far, as latin1 text. */
  get text(): string {
    return this.#received.toString('latin1');
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes `data` in one call and waits until the socket has taken it. */
  async write(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    await new Promise<void>((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Writes `data` one byte per write call, each waiting for the previous one. */
  async writeBytewise(data: string): Promise<void> {
    for (const byte of Buffer.from(data, 'latin1')) await this.write(Buffer.of(byte));
  }

  /** Waits until `count` complete responses have arrived, and returns them. */
  async responses(count: number): Promise<RawResponse[]> {
    await this.#until(() => parseResponses(this.#received).length >= count, `${count} responses`);
    return parseResponses(this.#received);
  }

  /** Waits until the server has closed the connection, and returns every response it sent. */
  async untilClosed(): Promise<RawResponse[]> {
    await this.#until(() => this.#closed, 'the connection to close');
    return parseResponses(this.#received);
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  async #until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.text)}`));
      }, DEADLINE_MS);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }
}

/**
 * Parses the complete responses at the start of `bytes`: bodies delimited by Content-Length,
 * chunked coding, or (with Connection: close and neither) the rest of the bytes.
 */
export function parseResponses(bytes: Buffer): RawResponse[] {
  const text = bytes.toString('latin1');
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine = '', ...fieldLines] = text.slice(at, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of fieldLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine.split(' ')[1]);
    let bodyStart = headEnd + 4;
    let body: string;
    if (headers['transfer-encoding'] === 'chunked') {
      body = '';
      for (;;) {
        const lineEnd = text.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) return responses;
        const size = parseInt(text.slice(bodyStart, lineEnd), 16);
        if (text.length < lineEnd + 2 + size + 2) return responses;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      at = bodyStart;
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (text.length < bodyStart + length) break;
      body = text.slice(bodyStart, bodyStart + length);
      at = bodyStart + length;
    } else {
      body = '';
      at = bodyStart;
    }
    responses.push({ status, headers, body });
  }
  return responses;
}
