/** Drives a cert auth backend through `handleRequest` on in-memory storage, with a manual clock. */
import { createCertBackend } from '../../../src/auth/cert/index.js';
import {
  InmemStorage,
  makeRequest,
  type AuthBackend,
  type ConnectionInfo,
  type LoginAuth,
  type Operation,
  type Response,
  type TokenFields,
} from '../../../src/logical/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { Issued } from './pki.js';

/** 2024-01-01T00:00:00Z, inside the default validity of pki.ts certificates. */
export const START = Date.parse('2024-01-01T00:00:00.000Z');

export interface CertHarness {
  readonly backend: AuthBackend;
  readonly storage: InmemStorage;
  readonly clock: { now: number };
  call(
    operation: Operation,
    path: string,
    data?: Record<string, unknown>,
  ): Promise<Response | null>;
  /** Writes `certs/<name>` with `certificate` and any other fields. */
  role(name: string, certificate: Issued | string, fields?: Record<string, unknown>): Promise<void>;
  /** Logs in over a TLS connection presenting `chain` (leaf first). */
  login(chain: readonly (Issued | string)[], data?: Record<string, unknown>): Promise<LoginAuth>;
  /** Renews what `auth` logged in, over a connection presenting `chain`. */
  renew(auth: LoginAuth, chain?: readonly (Issued | string)[]): Promise<TokenFields>;
}

export function certHarness(): CertHarness {
  const storage = new InmemStorage();
  const clock = { now: START };
  const backend = createCertBackend({
    storage,
    logger: silentLogger,
    mountPath: 'cert/',
    options: {},
    now: () => clock.now,
  });
  let ids = 0;
  const newId = (): string => `cert-${++ids}`;
  const call: CertHarness['call'] = (operation, path, data = {}) =>
    backend.handleRequest(makeRequest({ operation, path, data }, newId));

  return {
    backend,
    storage,
    clock,
    call,
    role: async (name, certificate, fields = {}) => {
      const pem = typeof certificate === 'string' ? certificate : certificate.pem;
      await call('update', `certs/${name}`, { certificate: pem, ...fields });
    },
    login: async (chain, data = {}) => {
      const response = await backend.handleRequest(
        makeRequest({ operation: 'update', path: 'login', data, connection: tls(chain) }, newId),
      );
      if (response?.login === undefined) throw new Error('login returned no LoginAuth');
      return response.login;
    },
    renew: (auth, chain = []) => {
      const renewLogin = backend.renewLogin;
      if (renewLogin === undefined) throw new Error('backend has no renewLogin');
      const renewal = {
        alias: auth.alias,
        metadata: auth.metadata,
        internal: auth.internal ?? {},
        policies: [...auth.token.policies, 'default'],
      };
      return renewLogin.call(backend, renewal, tls(chain));
    },
  };
}

/** A TLS connection whose handshake received `chain`. */
export function tls(chain: readonly (Issued | string)[]): ConnectionInfo {
  return {
    remoteAddress: '127.0.0.1',
    tls: true,
    peerCertificates: chain.map((item) => (typeof item === 'string' ? item : item.pem)),
    peerCertificateVerified: false,
  };
}
