/**
 * `sys/health`: the node's state as an HTTP status a load balancer can act on, with Vault's
 * query parameters (vault-api.md §2.1; Vault's `api-docs/system/health`):
 *
 * | state                                   | default | override        |
 * |-----------------------------------------|---------|-----------------|
 * | not initialised                         | 501     | `uninitcode`    |
 * | sealed                                  | 503     | `sealedcode`    |
 * | standby (follower), unless `standbyok`  | 429     | `standbycode`   |
 * | active (leader), or standby with `standbyok` | 200 | `activecode`   |
 *
 * `perfstandbyok`, `drsecondarycode`, `performancestandbycode` and `removedcode` are accepted
 * and have nothing to act on here (no performance standbys, DR replication or removal state).
 * The Go client sends every `*code` it does not set as 299, so any integer a status line can
 * carry (100 to 599) is accepted; a non-integer is a 400. Unknown parameters are ignored.
 */
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, FieldSchemas } from '../../logical/fields.js';
import type { Response } from '../../logical/response.js';
import type { Core } from '../core.js';

const CODE_PARAMETERS = [
  'activecode',
  'standbycode',
  'sealedcode',
  'uninitcode',
  'drsecondarycode',
  'performancestandbycode',
  'removedcode',
] as const;

// Go's strconv.ParseBool spellings, as Vault reads these flags.
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

type CodeParameter = (typeof CODE_PARAMETERS)[number];

const DEFAULT_CODES: Record<CodeParameter, number> = {
  activecode: 200,
  standbycode: 429,
  sealedcode: 503,
  uninitcode: 501,
  drsecondarycode: 472,
  performancestandbycode: 473,
  removedcode: 530,
};

export const HEALTH_FIELDS: FieldSchemas = {
  standbyok: { type: 'string', description: 'Answer a standby with the active code.' },
  perfstandbyok: { type: 'string', description: 'Answer a performance standby as active.' },
  ...Object.fromEntries(
    CODE_PARAMETERS.map((name) => {
      const description = `The status code for this state (default ${DEFAULT_CODES[name]}).`;
      return [name, { type: 'string', description }];
    }),
  ),
};

/** The health report and the status it is answered with. */
export async function healthResponse(core: Core, fields: FieldData): Promise<Response> {
  const codes = { ...DEFAULT_CODES };
  for (const name of CODE_PARAMETERS) {
    if (fields.has(name)) codes[name] = statusCode(name, fields.string(name));
  }
  const standbyOk = flag(fields, 'standbyok');
  flag(fields, 'perfstandbyok'); // validated; there are no performance standbys to apply it to

  const initialized = await core.isInitialized();
  const sealed = core.sealed;
  const standby = sealed || !core.cluster.isLeader();
  const identity = core.identity();
  const report = await core.sealStatus();

  let status = codes.activecode;
  if (!initialized) status = codes.uninitcode;
  else if (sealed) status = codes.sealedcode;
  else if (standby && !standbyOk) status = codes.standbycode;

  const body: Record<string, unknown> = {
    initialized,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(core.now() / 1000),
    version: report.version,
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
  };
  if (identity !== null) {
    body.cluster_name = identity.name;
    body.cluster_id = identity.id;
  }
  return { raw: { status, body } };
}

/** A boolean query flag: absent is false, present without a value (`?standbyok`) is true. */
function flag(fields: FieldData, name: string): boolean {
  if (!fields.has(name)) return false;
  const value = fields.string(name);
  if (value === '' || TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new InvalidRequestError(`invalid value for "${name}": expected a boolean`);
}

function statusCode(name: string, value: string): number {
  const code = /^-?\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(code)) {
    throw new InvalidRequestError(`invalid value for "${name}": expected an integer status code`);
  }
  if (code < 100 || code > 599) {
    throw new InvalidRequestError(`invalid value for "${name}": status codes run from 100 to 599`);
  }
  return code;
}
