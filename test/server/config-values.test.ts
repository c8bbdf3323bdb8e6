import assert from 'node:assert/strict';
import {
  formatHostPort,
  parseBoolean,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseSize,
  parseUrl,
  suggestKey,
} from '../../src/server/config-values.js';

describe('config values', () => {
  it('reads booleans as Vault does', () => {
    for (const yes of [true, 1, '1', 't', 'T', 'true', 'TRUE', 'True']) {
      assert.equal(parseBoolean(yes), true, String(yes));
    }
    for (const no of [false, 0, '0', 'f', 'F', 'false', 'FALSE', 'False']) {
      assert.equal(parseBoolean(no), false, String(no));
    }
    for (const neither of ['yes', 'on', 2, '', null, []]) {
      assert.equal(parseBoolean(neither), undefined, JSON.stringify(neither));
    }
  });

  it('reads integers from numbers and digit strings only', () => {
    assert.equal(parseInteger(42), 42);
    assert.equal(parseInteger('-7'), -7);
    assert.equal(parseInteger(' 12 '), 12);
    for (const bad of [1.5, '1.5', '12abc', '', 2 ** 60, true]) {
      assert.equal(parseInteger(bad), undefined, JSON.stringify(bad));
    }
  });

  it('reads durations in milliseconds: seconds as numbers, Go units, and days', () => {
    assert.equal(parseDuration(3600), 3_600_000);
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration(1.5), 1500);
    assert.equal(parseDuration('768h'), 768 * 3_600_000);
    assert.equal(parseDuration('1h30m15s'), 5_415_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1500us'), 2);
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    for (const bad of ['', '1 hour', '10y', '-5s', -5, 'h', '1h 30m', true]) {
      assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
    }
  });

  it('reads sizes in bytes with decimal and binary units', () => {
    assert.equal(parseSize(33_554_432), 33_554_432);
    assert.equal(parseSize(-1), -1);
    assert.equal(parseSize('32MiB'), 32 * 2 ** 20);
    assert.equal(parseSize('512 kib'), 512 * 1024);
    assert.equal(parseSize('1GB'), 1e9);
    assert.equal(parseSize('1.5KB'), 1500);
    assert.equal(parseSize('100b'), 100);
    for (const bad of ['32 MeB', 'MiB', '1.5B', '0.3KiB', true]) {
      assert.equal(parseSize(bad), undefined, JSON.stringify(bad));
    }
  });

  it('reads host:port addresses, including IPv6 and port 0', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8200'), { host: '127.0.0.1', port: 8200 });
    assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseHostPort('node1.example:443'), { host: 'node1.example', port: 443 });
    for (const bad of ['127.0.0.1', ':8200', '::1:8200', 'a:65536', 'a:-1', 'http://a:1', 8200]) {
      assert.equal(parseHostPort(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(formatHostPort('::1', 8201), '[::1]:8201');
    assert.equal(formatHostPort('127.0.0.1', 8201), '127.0.0.1:8201');
  });

  it('reads URLs with an allowed scheme and a host, dropping a trailing slash', () => {
    assert.equal(parseUrl('https://a.example:8200/', ['https']), 'https://a.example:8200');
    assert.equal(parseUrl('http://a:8200', ['https']), undefined);
    assert.equal(parseUrl('https://', ['https']), undefined);
    assert.equal(parseUrl('a.example:8200', ['http', 'https']), undefined);
  });

  it('suggests a close key, preferring one the typo is a prefix of', () => {
    const keys = ['tls_cert_file', 'tls_key_file', 'tls_disable', 'address'];
    assert.equal(suggestKey('tls_cert', keys), 'tls_cert_file');
    assert.equal(suggestKey('adress', keys), 'address');
    assert.equal(suggestKey('tls_disabled', keys), 'tls_disable');
    assert.equal(suggestKey('frobnicate', keys), undefined);
  });
});
