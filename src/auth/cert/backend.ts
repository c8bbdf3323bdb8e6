/**
 * The TLS certificate auth method (`cert`, vault-api.md §2.3), as a pure logical backend.
 * Paths relative to the mount:
 *
 * | path           | operations                                   |
 * |----------------|----------------------------------------------|
 * | `certs/`       | list                                         |
 * | `certs/<name>` | read, create/update, delete: trusted certificates and their constraints |
 * | `crls/`        | list                                         |
 * | `crls/<name>`  | read, create/update `{crl}`, delete          |
 * | `config`       | read, update                                 |
 * | `login`        | update `{name?}`, without a token            |
 *
 * The client's certificate chain comes from `request.connection.peerCertificates`; matching is
 * in matcher.ts and verify.ts, renewal in renew.ts.
 */
import {
  PathBackend,
  type AuthBackend,
  type BackendContext,
  type ConnectionInfo,
  type LoginRenewal,
  type Request,
  type TokenFields,
} from '../../logical/index.js';
import { certPaths } from './path-certs.js';
import { configPath } from './path-config.js';
import { crlPaths } from './path-crls.js';
import { loginName, loginPath } from './path-login.js';
import { certRenewal } from './renew.js';
import { CertStore } from './store.js';

/** The mount type the cert auth method registers under. */
export const CERT_MOUNT_TYPE = 'cert';

class CertBackend extends PathBackend implements AuthBackend {
  private readonly renew: (
    renewal: LoginRenewal,
    connection: ConnectionInfo,
  ) => Promise<TokenFields>;

  constructor(context: BackendContext) {
    const store = new CertStore(context.storage);
    super([
      ...certPaths(store, context.now),
      ...crlPaths(store),
      configPath(store),
      loginPath(store, context.now, context.logger),
    ]);
    this.renew = certRenewal(store, context.now);
  }

  isLoginPath(path: string): boolean {
    return path === 'login';
  }

  /** The role a login names, which its failures count against; null when it names none. */
  loginAlias(request: Pick<Request, 'path' | 'data'>): string | null {
    return request.path === 'login' ? loginName(request.data.name) : null;
  }

  renewLogin(renewal: LoginRenewal, connection: ConnectionInfo): Promise<TokenFields> {
    return this.renew(renewal, connection);
  }
}

/** Builds the cert auth method for one mount. */
export function createCertBackend(context: BackendContext): AuthBackend {
  return new CertBackend(context);
}
