/** The HTTP API: the fastify server, Vault's envelopes and the error-to-status table. */
export {
  createHttpServer,
  DEFAULT_MAX_REQUEST_SIZE,
  type HttpServer,
  type HttpServerOptions,
} from './server.js';
export { describeError, ERROR_TABLE, type ErrorReply } from './error-map.js';
export { replyFor, errorReply, JSON_CONTENT_TYPE, type Reply } from './envelope.js';
export { FORWARDED_MARKER } from './forwarding.js';
export {
  ForwardingFailedError,
  HttpError,
  MethodNotAllowedError,
  UnsupportedMediaTypeError,
} from './errors.js';
