/** One `/v1/` call through fastify inject, its JSON body parsed: for end-to-end core tests. */
import type { FastifyInstance } from 'fastify';

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CallResult {
  readonly status: number;
  readonly json: Record<string, unknown> & {
    data: Record<string, unknown>;
    auth: Record<string, unknown>;
    wrap_info: Record<string, unknown>;
    errors: string[];
  };
}

/** A caller of `app`'s API: `call('GET', 'secret/data/x', { token })`. */
export function apiCaller(app: () => FastifyInstance) {
  return async (method: string, url: string, options: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['x-vault-token'] = options.token;
    const response = await app().inject({
      method: method as 'GET',
      url: `/v1/${url}`,
      headers,
      validate: false,
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      json: (text.length > 0 ? JSON.parse(text) : null) as CallResult['json'],
    };
  };
}
