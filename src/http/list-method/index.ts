/**
 * The HTTP `LIST` method for Coffer's Vault-compatible API: a framing tracker between each
 * connection and Node's HTTP parser, the server that installs it, and fastify helpers.
 *
 * @module
 */
export { FramedConnection, FramedTlsConnection, tlsSocketOf } from './connection.js';
export type { FramedConnectionOptions } from './connection.js';
export { FramingError, ListParameterError } from './errors.js';
export type { FramingErrorCode, FramingFault } from './errors.js';
export { RequestFramer } from './framing.js';
export type { FramerOptions, FramerOutput } from './framing.js';
export type { BodyFraming, RequestHead } from './head.js';
export { isListRequest, registerListMethod } from './routing.js';
export type { RequestLine } from './routing.js';
export { LIST_MARKER_FIELD, createVaultServer } from './server.js';
export type { VaultRequestHandler, VaultServerOptions, VaultTlsOptions } from './server.js';
