import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadServerConfig, parseServerConfig } from '../../src/server/config.js';
import type { ServerConfig } from '../../src/server/config.js';

const FILE = 'cluster/node1.hcl';

/** A raft node's config in the shape Vault's docs use, with every key Coffer accepts. */
const FULL_HCL = `# Node 1 of the local cluster.
cluster_name  = "coffer-local"
api_addr      = "https://127.0.0.1:8200"
cluster_addr  = "https://127.0.0.1:8201"
ui            = true
log_level     = "debug"
disable_mlock = true
default_lease_ttl = "1h"
max_lease_ttl     = "30d"
pid_file          = "../data/node1/coffer.pid"

storage "raft" {
  path                   = "../data/node1"
  node_id                = "node1"
  performance_multiplier = 1
  snapshot_threshold     = 1024
  snapshot_interval      = "30s"

  retry_join {
    leader_api_addr         = "https://127.0.0.1:8210"
    leader_ca_cert_file     = "../data/tls/ca.pem"
    leader_client_cert_file = "../data/tls/node1.pem"
    leader_client_key_file  = "../data/tls/node1-key.pem"
  }
  retry_join {
    leader_api_addr = "https://127.0.0.1:8220"
  }
}

listener "tcp" {
  address                            = "127.0.0.1:8200"
  cluster_address                    = "127.0.0.1:8201"
  tls_cert_file                      = "../data/tls/node1.pem"
  tls_key_file                       = "/etc/coffer/node1-key.pem"
  tls_client_ca_file                 = "../data/tls/ca.pem"
  tls_require_and_verify_client_cert = false
  max_request_size                   = "8MiB"
}

cluster_tls {
  ca_file   = "../data/tls/ca.pem"
  cert_file = "../data/tls/node1-cluster.pem"
  key_file  = "../data/tls/node1-cluster-key.pem"
}

audit "file" {
  file_path = "../data/node1/audit.log"
  mode      = "0640"
}

user_lockout "all" {
  lockout_threshold     = 3
  lockout_duration      = "10m"
  lockout_counter_reset = "5m"
}
`;

const FULL_EXPECTED: ServerConfig = {
  files: [FILE],
  storage: {
    type: 'raft',
    path: path.resolve('data/node1'),
    nodeId: 'node1',
    performanceMultiplier: 1,
    snapshotThreshold: 1024,
    snapshotIntervalMs: 30_000,
    retryJoin: [
      {
        leaderApiAddr: 'https://127.0.0.1:8210',
        leaderCaCertFile: path.resolve('data/tls/ca.pem'),
        leaderClientCertFile: path.resolve('data/tls/node1.pem'),
        leaderClientKeyFile: path.resolve('data/tls/node1-key.pem'),
      },
      {
        leaderApiAddr: 'https://127.0.0.1:8220',
        leaderCaCertFile: undefined,
        leaderClientCertFile: undefined,
        leaderClientKeyFile: undefined,
      },
    ],
  },
  listeners: [
    {
      type: 'tcp',
      address: '127.0.0.1:8200',
      host: '127.0.0.1',
      port: 8200,
      clusterAddress: '127.0.0.1:8201',
      clusterHost: '127.0.0.1',
      clusterPort: 8201,
      tls: {
        certFile: path.resolve('data/tls/node1.pem'),
        keyFile: '/etc/coffer/node1-key.pem',
        clientCaFile: path.resolve('data/tls/ca.pem'),
        requireAndVerifyClientCert: false,
      },
      maxRequestSize: 8 * 1024 * 1024,
    },
  ],
  apiAddr: 'https://127.0.0.1:8200',
  clusterAddr: 'https://127.0.0.1:8201',
  clusterName: 'coffer-local',
  ui: true,
  logLevel: 'debug',
  disableMlock: true,
  defaultLeaseTtlMs: 3_600_000,
  maxLeaseTtlMs: 30 * 86_400_000,
  pidFile: path.resolve('data/node1/coffer.pid'),
  userLockout: { threshold: 3, durationMs: 600_000, counterResetMs: 300_000, disabled: false },
  clusterTls: {
    caFile: path.resolve('data/tls/ca.pem'),
    certFile: path.resolve('data/tls/node1-cluster.pem'),
    keyFile: path.resolve('data/tls/node1-cluster-key.pem'),
  },
  audit: [{ type: 'file', filePath: path.resolve('data/node1/audit.log'), mode: 0o640 }],
};

/** The smallest valid config: storage and a plain-HTTP listener; `extra` is appended. */
function minimal(extra = '', listener = 'tls_disable = true'): string {
  return [
    'storage "raft" {',
    '  path    = "/var/lib/coffer"',
    '  node_id = "node1"',
    '}',
    '',
    'listener "tcp" {',
    `  ${listener}`,
    '}',
    extra,
  ].join('\n');
}

/** Joins source lines with newlines. */
const lines = (...rows: string[]): string => rows.join('\n');

/** Parses `text` and expects a {@link ConfigError}. */
async function configError(text: string, filename = FILE): Promise<ConfigError> {
  try {
    await parseServerConfig(filename, text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected the config to be rejected:\n${text}`);
}

describe('parseServerConfig', () => {
  it('reads a full Vault-style raft node config', async () => {
    assert.deepEqual(await parseServerConfig(FILE, FULL_HCL), FULL_EXPECTED);
  });

  it('applies the defaults to a minimal config', async () => {
    const config = await parseServerConfig('/etc/coffer/coffer.hcl', minimal());
    assert.deepEqual(config.storage, {
      type: 'raft',
      path: '/var/lib/coffer',
      nodeId: 'node1',
      performanceMultiplier: 5,
      snapshotThreshold: 8192,
      snapshotIntervalMs: 120_000,
      retryJoin: [],
    });
    assert.deepEqual(config.listeners, [
      {
        type: 'tcp',
        address: '127.0.0.1:8200',
        host: '127.0.0.1',
        port: 8200,
        clusterAddress: '127.0.0.1:8201',
        clusterHost: '127.0.0.1',
        clusterPort: 8201,
        tls: null,
        maxRequestSize: 32 * 1024 * 1024,
      },
    ]);
    assert.equal(config.apiAddr, 'http://127.0.0.1:8200');
    assert.equal(config.clusterAddr, 'https://127.0.0.1:8201');
    assert.equal(config.clusterName, undefined);
    assert.equal(config.ui, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.disableMlock, false);
    assert.equal(config.defaultLeaseTtlMs, 768 * 3_600_000);
    assert.equal(config.maxLeaseTtlMs, 768 * 3_600_000);
    assert.equal(config.pidFile, undefined);
    assert.equal(config.clusterTls, undefined);
    assert.deepEqual(config.audit, []);
  });

  it('reads the full config written as JSON into the same result', async () => {
    const json = JSON.stringify({
      cluster_name: 'coffer-local',
      api_addr: 'https://127.0.0.1:8200',
      cluster_addr: 'https://127.0.0.1:8201',
      ui: true,
      log_level: 'debug',
      disable_mlock: true,
      default_lease_ttl: '1h',
      max_lease_ttl: '30d',
      pid_file: '../data/node1/coffer.pid',
      storage: {
        raft: {
          path: '../data/node1',
          node_id: 'node1',
          performance_multiplier: 1,
          snapshot_threshold: 1024,
          snapshot_interval: '30s',
          retry_join: [
            {
              leader_api_addr: 'https://127.0.0.1:8210',
              leader_ca_cert_file: '../data/tls/ca.pem',
              leader_client_cert_file: '../data/tls/node1.pem',
              leader_client_key_file: '../data/tls/node1-key.pem',
            },
            { leader_api_addr: 'https://127.0.0.1:8220' },
          ],
        },
      },
      // Vault's JSON configs often give blocks as a list of label maps.
      listener: [
        {
          tcp: {
            address: '127.0.0.1:8200',
            cluster_address: '127.0.0.1:8201',
            tls_cert_file: '../data/tls/node1.pem',
            tls_key_file: '/etc/coffer/node1-key.pem',
            tls_client_ca_file: '../data/tls/ca.pem',
            tls_require_and_verify_client_cert: false,
            max_request_size: '8MiB',
          },
        },
      ],
      cluster_tls: {
        ca_file: '../data/tls/ca.pem',
        cert_file: '../data/tls/node1-cluster.pem',
        key_file: '../data/tls/node1-cluster-key.pem',
      },
      audit: { file: { file_path: '../data/node1/audit.log', mode: '0640' } },
      user_lockout: {
        all: { lockout_threshold: 3, lockout_duration: '10m', lockout_counter_reset: '5m' },
      },
    });
    const jsonFile = 'cluster/node1.json';
    const expected = { ...FULL_EXPECTED, files: [jsonFile] };
    assert.deepEqual(await parseServerConfig(jsonFile, json), expected);
  });

  it('accepts Vault spellings of booleans, numbers, sizes and durations', async () => {
    const config = await parseServerConfig(
      FILE,
      [
        'ui = "true"',
        'disable_mlock = 1',
        'log_level = "WARNING"',
        'default_lease_ttl = 3600',
        'max_lease_ttl = "2h30m"',
        'storage "raft" {',
        '  path = "/d"',
        '  node_id = "n-1.a_b"',
        '  performance_multiplier = "3"',
        '  snapshot_threshold = "100"',
        '  snapshot_interval = 0',
        '}',
        'listener "tcp" {',
        '  tls_disable = "1"',
        '  max_request_size = 1048576',
        '}',
        'listener "tcp" {',
        '  address = "127.0.0.1:8300"',
        '  tls_disable = 1',
        '  max_request_size = -1',
        '}',
      ].join('\n'),
    );
    assert.equal(config.ui, true);
    assert.equal(config.disableMlock, true);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.defaultLeaseTtlMs, 3_600_000);
    assert.equal(config.maxLeaseTtlMs, 9_000_000);
    assert.equal(config.storage.performanceMultiplier, 3);
    assert.equal(config.storage.snapshotThreshold, 100);
    assert.equal(config.storage.snapshotIntervalMs, 0);
    assert.deepEqual(
      config.listeners.map((listener) => [listener.tls, listener.maxRequestSize]),
      [
        [null, 1_048_576],
        [null, null],
      ],
    );
  });

  it('derives the API and cluster addresses from the first listener', async () => {
    const ipv6 = await parseServerConfig(
      FILE,
      minimal('', 'address = "[::1]:9200"\n  tls_cert_file = "c.pem"\n  tls_key_file = "k.pem"'),
    );
    assert.equal(ipv6.listeners[0].host, '::1');
    assert.equal(ipv6.listeners[0].clusterAddress, '[::1]:9201');
    assert.equal(ipv6.apiAddr, 'https://[::1]:9200');
    assert.equal(ipv6.clusterAddr, 'https://[::1]:9201');

    const ephemeral = await parseServerConfig(
      FILE,
      minimal('', 'address = "127.0.0.1:0"\n  tls_disable = true'),
    );
    assert.deepEqual([ephemeral.listeners[0].port, ephemeral.listeners[0].clusterPort], [0, 0]);
  });

  it('accepts a listener on every interface when api_addr is set', async () => {
    const config = await parseServerConfig(
      FILE,
      minimal(
        'api_addr = "https://node1.example:8200"',
        'address = "0.0.0.0:8200"\n  tls_disable = true',
      ),
    );
    assert.equal(config.apiAddr, 'https://node1.example:8200');
    assert.equal(config.clusterAddr, 'https://node1.example:8201');
    assert.equal(config.listeners[0].clusterAddress, '0.0.0.0:8201');
  });

  it('keeps the special audit file paths stdout and discard as written', async () => {
    const text = minimal(lines('audit "file" {', '  file_path = "stdout"', '}'));
    const config = await parseServerConfig(FILE, text);
    assert.deepEqual(config.audit, [{ type: 'file', filePath: 'stdout', mode: 0o600 }]);
  });

  it('accepts every audit mode without an executable bit, 0000 included', async () => {
    const modes: [string, number][] = [
      ['0000', 0],
      ['600', 0o600],
      ['0644', 0o644],
      ['0666', 0o666],
    ];
    for (const [text, mode] of modes) {
      const block = lines('audit "file" {', '  file_path = "/a.log"', `  mode = "${text}"`, '}');
      const config = await parseServerConfig(FILE, minimal(block));
      assert.equal(config.audit[0]?.mode, mode, text);
    }
  });
});

describe('parseServerConfig errors', () => {
  // Each case: what to change, the line the error must name, and a pattern for its reason.
  const cases: { name: string; text: string; line: number | undefined; reason: RegExp }[] = [
    {
      name: 'names an unknown key with a suggestion',
      text: FULL_HCL.replace('tls_cert_file  ', 'tls_cert       '),
      line: 33,
      reason: /^unknown key "tls_cert" in listener "tcp" \(did you mean "tls_cert_file"\?\)$/,
    },
    {
      name: 'names an unknown top-level key without a suggestion when none is close',
      text: minimal('\n\nfrobnicate = 1'),
      line: 11,
      reason: /^unknown key "frobnicate"$/,
    },
    {
      name: 'suggests a key for a small misspelling',
      text: minimal('log_levle = "info"'),
      line: 9,
      reason: /did you mean "log_level"/,
    },
    {
      name: 'names a Vault setting Coffer does not support',
      text: minimal('seal "transit" {\n  address = "x"\n}'),
      line: 9,
      reason: /^key "seal" is a Vault setting that Coffer does not support$/,
    },
    {
      name: 'names an unsupported Vault key inside a block',
      text: minimal('', 'tls_disable = true\n  tls_min_version = "tls12"'),
      line: 8,
      reason: /"tls_min_version" in listener "tcp" is a Vault setting/,
    },
    {
      name: 'rejects a value of the wrong type',
      text: minimal('ui = "maybe"'),
      line: 9,
      reason: /^"ui" must be a boolean \(true or false\), not the string "maybe"$/,
    },
    {
      name: 'rejects a block where a value belongs',
      text: minimal('api_addr = { url = "x" }'),
      line: 9,
      reason: /"api_addr" must be a URL starting with http:\/\/ or https:\/\/, not a block or map/,
    },
    {
      name: 'rejects a number out of range',
      text: minimal().replace(
        'node_id = "node1"',
        lines('node_id = "node1"', '  performance_multiplier = 11'),
      ),
      line: 4,
      reason: /"performance_multiplier" in storage "raft" must be between 0 and 10, not 11/,
    },
    {
      name: 'reports a missing node_id at the storage block',
      text: minimal().replace('  node_id = "node1"\n', ''),
      line: 1,
      reason: /^missing required key "node_id" in storage "raft"$/,
    },
    {
      name: 'reports a missing storage path at the storage block',
      text: `ui = true\n\n${minimal().replace('  path    = "/var/lib/coffer"\n', '')}`,
      line: 3,
      reason: /^missing required key "path" in storage "raft"$/,
    },
    {
      name: 'rejects an invalid node_id',
      text: minimal().replace('"node1"', '"node 1"'),
      line: 3,
      reason: /"node_id" must be 1 to 128 letters/,
    },
    {
      name: 'reports a missing storage block without a line',
      text: 'listener "tcp" {\n  tls_disable = true\n}\n',
      line: undefined,
      reason: /^missing required block storage "raft"$/,
    },
    {
      name: 'reports a missing listener without a line',
      text: 'storage "raft" {\n  path = "/d"\n  node_id = "n"\n}\n',
      line: undefined,
      reason: /^missing required block listener "tcp"$/,
    },
    {
      name: 'rejects an unsupported storage type at its label',
      text: minimal(lines('', 'storage "consul" {', '  address = "x"', '}')).replace(
        /storage "raft" \{[^}]*\}/,
        '',
      ),
      line: 7,
      reason: /^unsupported storage type "consul" \(Coffer supports only "raft"\)$/,
    },
    {
      name: 'rejects a second storage block',
      text: minimal('storage "raft" {\n  path = "/e"\n  node_id = "n2"\n}'),
      line: 9,
      reason: /^storage may be defined only once$/,
    },
    {
      name: 'rejects an unsupported listener type',
      text: minimal('listener "unix" {\n  address = "/run/coffer.sock"\n}'),
      line: 9,
      reason: /^unsupported listener type "unix" \(Coffer supports only "tcp"\)$/,
    },
    {
      name: 'rejects a listener block without its type label',
      text: minimal(lines('listener {', '  address = "127.0.0.1:8300"', '}')).replace(
        /listener "tcp" \{[^}]*\}/,
        '',
      ),
      line: 7,
      reason: /"listener" must be a block with 1 label/,
    },
    {
      name: 'requires TLS files unless tls_disable is set',
      text: minimal('', 'tls_cert_file = "c.pem"'),
      line: 6,
      reason: new RegExp(
        '^missing required key "tls_key_file" in listener "tcp" ' +
          '\\("tls_cert_file" and "tls_key_file" are required unless "tls_disable" is true\\)$',
      ),
    },
    {
      name: 'requires a client CA to verify client certificates',
      text: minimal(
        '',
        lines(
          'tls_cert_file = "c.pem"',
          '  tls_key_file = "k.pem"',
          '  tls_require_and_verify_client_cert = true',
        ),
      ),
      line: 9,
      reason: /needs "tls_client_ca_file"/,
    },
    {
      name: 'rejects client verification on a listener without TLS',
      text: minimal('', 'tls_disable = true\n  tls_require_and_verify_client_cert = true'),
      line: 8,
      reason: /cannot be true when "tls_disable" is true/,
    },
    {
      name: 'rejects an address that is not host:port',
      text: minimal('', 'tls_disable = true\n  address = "127.0.0.1:70000"'),
      line: 8,
      reason: /"address" in listener "tcp" must be an address such as "127.0.0.1:8200"/,
    },
    {
      name: 'rejects a size it cannot read',
      text: minimal('', 'tls_disable = true\n  max_request_size = "32 MeB"'),
      line: 8,
      reason: /"max_request_size" in listener "tcp" must be a size such as 33554432 or "32MiB"/,
    },
    {
      name: 'rejects a duration it cannot read',
      text: minimal('default_lease_ttl = "1 hour"'),
      line: 9,
      reason: /"default_lease_ttl" must be a duration/,
    },
    {
      name: 'rejects a default lease TTL longer than the maximum',
      text: minimal('default_lease_ttl = "2h"\nmax_lease_ttl = "1h"'),
      line: 9,
      reason: /^"default_lease_ttl" cannot be longer than "max_lease_ttl"$/,
    },
    {
      name: 'rejects an unknown log level',
      text: minimal('log_level = "loud"'),
      line: 9,
      reason: /^"log_level" must be one of trace, debug, info, warn, error, not "loud"$/,
    },
    {
      name: 'rejects a cluster_addr that is not https',
      text: minimal('cluster_addr = "http://127.0.0.1:8201"'),
      line: 9,
      reason: /"cluster_addr" must be a URL starting with https:\/\//,
    },
    {
      name: 'requires api_addr when the listener binds every interface',
      text: minimal('', 'tls_disable = true\n  address = "0.0.0.0:8200"'),
      line: 8,
      reason: /^set "api_addr": listener "tcp" binds every interface/,
    },
    {
      name: 'requires leader_api_addr in retry_join',
      text: minimal().replace(
        'node_id = "node1"',
        lines('node_id = "node1"', '  retry_join {', '    leader_ca_cert_file = "ca.pem"', '  }'),
      ),
      line: 4,
      reason: /^missing required key "leader_api_addr" in retry_join in storage "raft"$/,
    },
    {
      name: 'requires the retry_join client certificate and key together',
      text: minimal().replace(
        'node_id = "node1"',
        lines(
          'node_id = "node1"',
          '  retry_join {',
          '    leader_api_addr = "https://a:8200"',
          '    leader_client_key_file = "k.pem"',
          '  }',
        ),
      ),
      line: 6,
      reason: /must be set together/,
    },
    {
      name: 'requires every cluster_tls file',
      text: minimal('cluster_tls {\n  ca_file = "ca.pem"\n  cert_file = "c.pem"\n}'),
      line: 9,
      reason: /^missing required key "key_file" in cluster_tls$/,
    },
    {
      name: 'rejects an audit mode that is not an octal string',
      text: minimal('audit "file" {\n  file_path = "a.log"\n  mode = 600\n}'),
      line: 11,
      reason: /"mode" in audit "file" must be an octal string such as "0600", not the number 600/,
    },
    {
      name: 'rejects an audit mode that makes the file executable',
      text: minimal('audit "file" {\n  file_path = "a.log"\n  mode = "0755"\n}'),
      line: 11,
      reason: /^"mode" in audit "file" may not make the audit file executable, not "0755"$/,
    },
    {
      name: 'rejects an audit mode with only the others\' executable bit',
      text: minimal('audit "file" {\n  file_path = "a.log"\n  mode = "601"\n}'),
      line: 11,
      reason: /may not make the audit file executable, not "601"$/,
    },
    {
      name: 'rejects an audit mode with a setuid digit',
      text: minimal('audit "file" {\n  file_path = "a.log"\n  mode = "4600"\n}'),
      line: 11,
      reason: /must be an octal string such as "0600", not the string "4600"$/,
    },
    {
      name: 'rejects an unsupported audit device type',
      text: minimal('audit "syslog" {\n  tag = "coffer"\n}'),
      line: 9,
      reason: /^unsupported audit device type "syslog"/,
    },
    {
      name: 'reports an HCL syntax error with its line',
      text: minimal('ui = \n'),
      line: 9,
      reason: /^Invalid expression/,
    },
    {
      name: 'reports an HCL expression where a literal belongs',
      text: minimal('\nui = var.enabled'),
      line: 10,
      reason: /only literal values are accepted/,
    },
  ];

  for (const { name, text, line, reason } of cases) {
    it(`${name}`, async () => {
      const error = await configError(text);
      assert.match(error.reason, reason);
      assert.equal(error.line, line, error.message);
      assert.equal(error.file, FILE);
      const where = line === undefined ? FILE : `${FILE}:${line}`;
      assert.equal(error.message, `${where}: ${error.reason}`);
    });
  }

  it('names the file, line and key in the message and fields', async () => {
    const error = await configError(FULL_HCL.replace('tls_cert_file  ', 'tls_cert       '));
    assert.equal(
      error.message,
      'cluster/node1.hcl:33: unknown key "tls_cert" in listener "tcp" ' +
        '(did you mean "tls_cert_file"?)',
    );
    assert.equal(error.code, 'config_invalid');
    assert.equal(error.key, 'listener.tcp[0].tls_cert');
  });

  it('keeps the syntax error as the cause', async () => {
    const error = await configError('storage "raft" {\n');
    assert.equal((error.cause as { code?: string }).code, 'hcl_syntax');
  });

  it('reports JSON errors with their line', async () => {
    const json = lines(
      '{',
      '  "listener": {"tcp": {"tls_disable": true}},',
      '  "storage": {"raft": {"path": "/d", "node_id": "n", "nodeid": "x"}}',
      '}',
    );
    const error = await configError(json, 'node.json');
    assert.equal(
      error.message,
      'node.json:3: unknown key "nodeid" in storage "raft" (did you mean "node_id"?)',
    );
    const syntax = await configError('{\n  "ui": true,\n}', 'node.json');
    assert.equal(syntax.line, 3);
  });
});

describe('loadServerConfig', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'coffer-config-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads a file and resolves its relative paths against its directory', async () => {
    const dir = path.join(root, 'single');
    await mkdir(dir);
    const file = path.join(dir, 'node1.hcl');
    await writeFile(file, FULL_HCL);
    const config = await loadServerConfig(file);
    assert.equal(config.storage.path, path.join(root, 'data/node1'));
    assert.deepEqual(config.files, [file]);
  });

  it('merges every .hcl and .json file of a directory in name order', async () => {
    const dir = path.join(root, 'merged');
    await mkdir(dir);
    await writeFile(path.join(dir, '10-storage.hcl'), minimal('ui = true\nlog_level = "debug"'));
    await writeFile(
      path.join(dir, '20-more.json'),
      JSON.stringify({
        log_level: 'error',
        listener: { tcp: { address: '127.0.0.1:8300', tls_disable: true } },
      }),
    );
    await writeFile(path.join(dir, 'notes.txt'), 'not a config');
    const config = await loadServerConfig(dir);
    assert.deepEqual(config.files, [
      path.join(dir, '10-storage.hcl'),
      path.join(dir, '20-more.json'),
    ]);
    assert.deepEqual(
      config.listeners.map((listener) => listener.address),
      ['127.0.0.1:8200', '127.0.0.1:8300'],
    );
    assert.equal(config.ui, true);
    assert.equal(config.logLevel, 'error');
  });

  it('rejects storage defined in two files of a directory, naming both', async () => {
    const dir = path.join(root, 'twice');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.hcl'), minimal());
    const second = lines('', 'storage "raft" {', '  path = "/x"', '  node_id = "n"', '}');
    await writeFile(path.join(dir, 'b.hcl'), second);
    await assert.rejects(loadServerConfig(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const [first, later] = [path.join(dir, 'a.hcl'), path.join(dir, 'b.hcl')];
      assert.equal(error.message, `${later}:2: storage is already defined in ${first}`);
      return true;
    });
  });

  it('reports an invalid value in a file that a later file overrides', async () => {
    const dir = path.join(root, 'override');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.hcl'), minimal('ui = "perhaps"'));
    await writeFile(path.join(dir, 'b.hcl'), 'ui = true\n');
    await assert.rejects(loadServerConfig(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, path.join(dir, 'a.hcl'));
      assert.equal(error.line, 9);
      return true;
    });
  });

  it('rejects a directory with no config files and a path that does not exist', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    await assert.rejects(loadServerConfig(empty), /no \.hcl or \.json files/);
    await assert.rejects(loadServerConfig(path.join(root, 'absent.hcl')), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
  });
});
