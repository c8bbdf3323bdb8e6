/** Reads and writes the cert auth method's roles, CRLs and config (layout in types.ts). */
import { getJson, putJson, type Storage } from '../../logical/index.js';
import { DEFAULT_CERT_CONFIG, type CertConfig, type CertRole, type StoredCrl } from './types.js';

const ROLES = 'certs/';
const CRLS = 'crls/';
const CONFIG = 'config';

export class CertStore {
  constructor(private readonly storage: Storage) {}

  role(name: string): Promise<CertRole | undefined> {
    return getJson<CertRole>(this.storage, ROLES + name);
  }

  putRole(role: CertRole): Promise<void> {
    return putJson(this.storage, ROLES + role.name, role);
  }

  deleteRole(name: string): Promise<void> {
    return this.storage.delete(ROLES + name);
  }

  roleNames(): Promise<string[]> {
    return this.storage.list(ROLES);
  }

  /** Every role, by name. */
  async roles(): Promise<CertRole[]> {
    const roles = await Promise.all((await this.roleNames()).map((name) => this.role(name)));
    return roles.filter((role): role is CertRole => role !== undefined);
  }

  crl(name: string): Promise<StoredCrl | undefined> {
    return getJson<StoredCrl>(this.storage, CRLS + name);
  }

  putCrl(crl: StoredCrl): Promise<void> {
    return putJson(this.storage, CRLS + crl.name, crl);
  }

  deleteCrl(name: string): Promise<void> {
    return this.storage.delete(CRLS + name);
  }

  crlNames(): Promise<string[]> {
    return this.storage.list(CRLS);
  }

  async crls(): Promise<StoredCrl[]> {
    const crls = await Promise.all((await this.crlNames()).map((name) => this.crl(name)));
    return crls.filter((crl): crl is StoredCrl => crl !== undefined);
  }

  async config(): Promise<CertConfig> {
    const stored = await getJson<Partial<CertConfig>>(this.storage, CONFIG);
    return { ...DEFAULT_CERT_CONFIG, ...stored };
  }

  putConfig(config: CertConfig): Promise<void> {
    return putJson(this.storage, CONFIG, config);
  }
}
