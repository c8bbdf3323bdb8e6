/**
 * LIST on fastify's side: registering the method so routes can declare it, and telling list
 * requests apart the way Vault does (`LIST`, or `GET` with `?list=true`).
 *
 * @module
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { ListParameterError } from './errors.js';

/**
 * Lets `app` route the method `LIST`: afterwards `app.route({ method: 'LIST', ... })` works,
 * `request.method` reads `LIST`, and a LIST body is parsed like a POST body.
 *
 * Fastify 5's `addHttpMethod` accepts only methods in Node's `http.METHODS`, and its router
 * (find-my-way) only methods in its own copy of that list; both come from llhttp, which has no
 * LIST (Node 20 and 22). So this adds LIST to find-my-way's list (the module instance fastify
 * loads, which has no other way in), and to `http.METHODS` only for the duration of the
 * `addHttpMethod` call. Requests reach the routes as LIST through {@link createVaultServer};
 * `app.inject` needs `validate: false` to send LIST, since light-my-request checks the method
 * against its own fixed list.
 *
 * @throws Error when the router's method list cannot be found (a fastify upgrade moved it).
 */
export function registerListMethod(app: FastifyInstance): void {
  if (app.supportedMethods.includes('LIST')) return;
  allowListInRouter();

  const nodeMethods = http.METHODS;
  const added = !nodeMethods.includes('LIST');
  if (added) nodeMethods.push('LIST');
  try {
    app.addHttpMethod('LIST', { hasBody: true });
  } finally {
    if (added) nodeMethods.splice(nodeMethods.indexOf('LIST'), 1);
  }
}

/** Adds LIST to the method list of the find-my-way that fastify uses, once per process. */
function allowListInRouter(): void {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const methods: unknown = fromFastify('find-my-way/lib/http-methods.js');
  if (!Array.isArray(methods) || !methods.includes('GET')) {
    throw new Error('cannot find the method list of fastify\'s router (find-my-way)');
  }
  if (!methods.includes('LIST')) methods.push('LIST');
}

/** What {@link isListRequest} reads: a fastify request or Node's `IncomingMessage`. */
export interface RequestLine {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}

// Vault reads `list` as Go's strconv.ParseBool does: these spellings and no others.
const TRUE_SPELLINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_SPELLINGS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Whether a request asks for the list operation: its method is `LIST`, or it is a `GET` whose
 * first `list` query parameter is true. An empty `list` parameter is ignored, as Vault does.
 *
 * @throws ListParameterError when a GET's `list` parameter is not a boolean (answer 400).
 */
export function isListRequest(request: RequestLine): boolean {
  if (request.method === 'LIST') return true;
  if (request.method !== 'GET' || request.url === undefined) return false;

  const queryStart = request.url.indexOf('?');
  if (queryStart < 0) return false;
  const value = new URLSearchParams(request.url.slice(queryStart + 1)).get('list');
  if (value === null || value === '') return false;
  if (TRUE_SPELLINGS.has(value)) return true;
  if (FALSE_SPELLINGS.has(value)) return false;
  throw new ListParameterError(value);
}
