import assert from 'node:assert/strict';

import { InvalidRequestError, VaultSealedError } from '../../src/logical/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import { joinChallengePath, type JoinChallengeRecords } from '../../src/vault/core.js';
import { coreHarness, initAndUnseal, type CoreHarness } from './support.js';

/** A memory store holding exactly the records a leader handed out. */
async function seededStore(challenge: JoinChallengeRecords): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const [path, value] of Object.entries(challenge.records)) {
    await store.put(path, Buffer.from(value, 'base64'));
  }
  return store;
}

describe('Core join challenge', () => {
  let leader: CoreHarness;
  let keys: string[];

  beforeEach(async () => {
    leader = coreHarness();
    ({ keys } = await initAndUnseal(leader.core));
  });

  describe('createJoinChallenge', () => {
    it('refuses while sealed, and for a node id that is not a valid id', async () => {
      await assert.rejects(leader.core.createJoinChallenge('node/2'), InvalidRequestError);
      leader.core.sealNode();
      await assert.rejects(leader.core.createJoinChallenge('node2'), VaultSealedError);
    });

    it('hands out the seal, key and challenge records exactly as stored', async () => {
      const challenge = await leader.core.createJoinChallenge('node2');
      assert.equal(challenge.challengePath, joinChallengePath('node2'));
      const paths = Object.keys(challenge.records).sort();
      assert.deepEqual(paths, [
        'core/keyring',
        'core/raft/challenge/node2',
        'core/root-key',
        'core/seal-config',
      ]);
      for (const path of paths) {
        const stored = await leader.physical.get(path);
        assert.equal(challenge.records[path], Buffer.from(stored!).toString('base64'), path);
      }
    });
  });

  describe('a joiner seeded with the records', () => {
    it('reports the seal, unseals with shares and reads an answer the leader accepts', async () => {
      const challenge = await leader.core.createJoinChallenge('node2');
      let answer: Uint8Array | null = null;
      let loadedBefore = true;
      const joiner = coreHarness({
        physical: await seededStore(challenge),
        beforeActivate: async (read) => {
          loadedBefore = !joiner.core.sealed;
          answer = await read(challenge.challengePath);
        },
      });

      const status = await joiner.core.sealStatus();
      assert.equal(status.initialized, true);
      assert.equal(status.t, 3);
      assert.equal(status.n, 5);
      for (const key of keys.slice(2, 5)) await joiner.core.unseal(key);

      assert.equal(loadedBefore, false);
      assert.equal(joiner.core.sealed, false);
      assert.ok(answer !== null);
      const encoded = Buffer.from(answer as Uint8Array).toString('base64');
      await leader.core.checkJoinAnswer('node2', encoded);
      assert.equal(await leader.physical.get(challenge.challengePath), undefined);
      await assert.rejects(leader.core.checkJoinAnswer('node2', encoded), InvalidRequestError);
    });

    it('stays sealed when the hook fails', async () => {
      const challenge = await leader.core.createJoinChallenge('node3');
      const joiner = coreHarness({
        physical: await seededStore(challenge),
        beforeActivate: async () => {
          throw new Error('leader unreachable');
        },
      });
      await joiner.core.unseal(keys[0]!);
      await joiner.core.unseal(keys[1]!);
      await assert.rejects(joiner.core.unseal(keys[2]!), /leader unreachable/);
      assert.equal(joiner.core.sealed, true);
    });
  });

  describe('checkJoinAnswer', () => {
    it('refuses a wrong answer and forgets the challenge all the same', async () => {
      const challenge = await leader.core.createJoinChallenge('node2');
      const wrong = Buffer.alloc(32, 7).toString('base64');
      await assert.rejects(leader.core.checkJoinAnswer('node2', wrong), /invalid join answer/);
      assert.equal(await leader.physical.get(challenge.challengePath), undefined);
    });

    it('refuses an answer of the wrong length and one for a node never challenged', async () => {
      await leader.core.createJoinChallenge('node2');
      await assert.rejects(leader.core.checkJoinAnswer('node2', 'AAAA'), InvalidRequestError);
      await assert.rejects(
        leader.core.checkJoinAnswer('node9', Buffer.alloc(32).toString('base64')),
        /no join challenge is pending/,
      );
    });
  });
});
