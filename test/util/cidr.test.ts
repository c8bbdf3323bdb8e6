import assert from 'node:assert/strict';

import {
  addressInCidrs,
  cidrsWithin,
  parseAddress,
  parseCidr,
} from '../../src/util/cidr.js';
import { isCidr } from '../../src/logical/index.js';

describe('CIDR blocks', () => {
  describe('parseCidr', () => {
    it('reads IPv4 and IPv6 blocks and bare addresses as one-host blocks', () => {
      assert.deepEqual(parseCidr('10.0.0.0/8'), {
        network: Uint8Array.from([10, 0, 0, 0]),
        prefixLength: 8,
      });
      assert.equal(parseCidr('127.0.0.1')?.prefixLength, 32);
      assert.equal(parseCidr('2001:db8::/32')?.prefixLength, 32);
      assert.equal(parseCidr('::1')?.prefixLength, 128);
    });

    it('clears host bits, as Go does', () => {
      assert.deepEqual([...(parseCidr('10.1.2.3/8')?.network ?? [])], [10, 0, 0, 0]);
      assert.deepEqual([...(parseCidr('10.1.2.3/20')?.network ?? [])], [10, 1, 0, 0]);
    });

    for (const bad of ['', '10.0.0.0/33', '::/129', '300.1.1.1', '10.0.0/8', '::zz/64', 'a/b/c',
      '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8x', 'localhost']) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        assert.equal(parseCidr(bad), null);
        assert.equal(isCidr(bad), false);
      });
    }
  });

  describe('parseAddress', () => {
    it('expands IPv6 forms, with a dotted tail, and drops a zone index', () => {
      assert.deepEqual([...(parseAddress('1:2:3:4:5:6:1.2.3.4') ?? [])].slice(12), [1, 2, 3, 4]);
      assert.deepEqual([...(parseAddress('1::') ?? [])].slice(0, 2), [0, 1]);
      assert.deepEqual([...(parseAddress('fe80::1%eth0') ?? [])].slice(14), [0, 1]);
      assert.equal(parseAddress('::')?.length, 16);
    });

    it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
      assert.deepEqual(parseAddress('::ffff:1.2.3.4'), Uint8Array.from([1, 2, 3, 4]));
      assert.deepEqual(parseAddress('::ffff:102:304'), Uint8Array.from([1, 2, 3, 4]));
    });

    it('refuses what is not an address', () => {
      for (const bad of ['', 'x', '1.2.3', '1.2.3.4.5', '::g', '10.0.0.0/8']) {
        assert.equal(parseAddress(bad), null, bad);
      }
    });
  });

  describe('addressInCidrs', () => {
    const cases: Array<[string, string[], boolean]> = [
      ['10.1.2.3', ['10.0.0.0/8'], true],
      ['11.1.2.3', ['10.0.0.0/8'], false],
      ['10.1.2.3', ['192.168.0.0/16', '10.1.2.3'], true],
      ['10.1.2.4', ['10.1.2.3'], false],
      ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
      ['10.1.2.3', ['::ffff:0:0/96'], true],
      ['::ffff:10.1.2.3', ['::ffff:10.0.0.0/104'], true],
      ['2001:db8::1', ['2001:db8::/32'], true],
      ['2001:db9::1', ['2001:db8::/32'], false],
      ['::1', ['127.0.0.1/8'], false],
      ['127.0.0.1', ['::1'], false],
      ['1.2.3.4', ['0.0.0.0/0'], true],
      ['1.2.3.4', [], false],
      ['garbage', ['0.0.0.0/0'], false],
      ['1.2.3.4', ['garbage'], false],
    ];
    for (const [address, cidrs, expected] of cases) {
      it(`${expected ? 'finds' : 'does not find'} ${address} in [${cidrs.join(', ')}]`, () => {
        assert.equal(addressInCidrs(address, cidrs), expected);
      });
    }
  });

  describe('cidrsWithin', () => {
    it('holds when every inner block lies inside some outer block', () => {
      assert.equal(cidrsWithin(['10.1.0.0/16', '10.2.3.4'], ['10.0.0.0/8']), true);
      assert.equal(cidrsWithin(['10.0.0.0/8'], ['10.0.0.0/8']), true);
      assert.equal(cidrsWithin([], ['10.0.0.0/8']), true);
    });

    it('fails for a wider block, another family or one that does not parse', () => {
      assert.equal(cidrsWithin(['10.0.0.0/7'], ['10.0.0.0/8']), false);
      assert.equal(cidrsWithin(['11.0.0.0/16'], ['10.0.0.0/8']), false);
      assert.equal(cidrsWithin(['::/0'], ['0.0.0.0/0']), false);
      assert.equal(cidrsWithin(['bad'], ['0.0.0.0/0']), false);
      assert.equal(cidrsWithin(['10.0.0.0/16'], []), false);
    });
  });
});
