// End-to-end test of the two-validator local testnet (`--chain local`) on loopback: starts Alice
// (fixed node key, so a known peer id) and Bob (own node key; bootnode: Alice) on free ports,
// connects the polkadot-js client to both, and waits until both have finalized block 3 or later
// (Aura blocks every 3 s, GRANDPA finality, which needs both validators), then checks that they
// agree on the hash of block 3 and that each has a peer.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { NodeGroup, freePorts } from './lib/node.mjs';
import { awaitSubscription } from './lib/tx.mjs';

// Substrate's ed25519 node key 0x00..01 and the libp2p peer id derived from it.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
// A validator of a non-dev chain refuses to start without a network key (sc-cli's
// NetworkKeyNotFound, unless --unsafe-force-node-key-generation), so Bob gets one as well.
const BOB_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000002';
const TARGET_FINALIZED = 3;
const FINALITY_TIMEOUT_MS = 120_000; // a bound on waiting only, not a timing assertion

/** Resolve with the finalized number once `api` has finalized block `target` or later. */
function waitForFinalized(api, name, target, timeoutMs) {
  let latest = null;
  return awaitSubscription(
    (callback) => api.rpc.chain.subscribeFinalizedHeads(callback),
    (header) => {
      latest = header.number.toNumber();
      return latest >= target ? latest : undefined;
    },
    timeoutMs,
    () => `${name}: finalized head was #${latest} after ${timeoutMs} ms, wanted #${target}`,
  );
}

describe('local testnet of two validators', () => {
  const group = new NodeGroup('cairn-e2e-local-');
  let alice;
  let bob;
  let aliceApi;
  let bobApi;
  let alicePeerId;

  before(
    group.run(async () => {
      const [p1, r1, p2, r2] = await freePorts(4);
      alice = group.start(
        'alice',
        [
          '--chain', 'local', '--alice', '--tmp',
          '--port', String(p1), '--rpc-port', String(r1),
          '--node-key', ALICE_NODE_KEY,
          '--no-prometheus', '--no-telemetry',
        ],
        r1,
      );
      const [, peerId] = await alice.waitForLog(/Local node identity is: (\w+)/, 60_000);
      alicePeerId = peerId;
      bob = group.start(
        'bob',
        [
          '--chain', 'local', '--bob', '--tmp',
          '--port', String(p2), '--rpc-port', String(r2),
          '--node-key', BOB_NODE_KEY,
          '--bootnodes', `/ip4/127.0.0.1/tcp/${p1}/p2p/${alicePeerId}`,
          '--no-prometheus', '--no-telemetry',
        ],
        r2,
      );
      [aliceApi, bobApi] = await Promise.all([alice.connect(90_000), bob.connect(90_000)]);
    }),
  );

  after(async () => {
    await group.stopAll();
  });

  test(
    "Alice's peer id is the one derived from node key 0x00..01",
    group.run(async () => {
      assert.equal(alicePeerId, ALICE_PEER_ID);
    }),
  );

  test(
    'both validators finalize block 3, agree on its hash and have peers',
    group.run(async (t) => {
      const [chainA, chainB] = await Promise.all([aliceApi.rpc.system.chain(), bobApi.rpc.system.chain()]);
      assert.equal(chainA.toString(), chainB.toString(), 'same chain');
      assert.equal(aliceApi.genesisHash.toHex(), bobApi.genesisHash.toHex(), 'same genesis');

      const [finA, finB] = await Promise.all([
        waitForFinalized(aliceApi, 'alice', TARGET_FINALIZED, FINALITY_TIMEOUT_MS),
        waitForFinalized(bobApi, 'bob', TARGET_FINALIZED, FINALITY_TIMEOUT_MS),
      ]);
      t.diagnostic(`finalized: alice #${finA}, bob #${finB}`);

      const [hashA, hashB] = await Promise.all([
        aliceApi.rpc.chain.getBlockHash(TARGET_FINALIZED),
        bobApi.rpc.chain.getBlockHash(TARGET_FINALIZED),
      ]);
      assert.ok(!hashA.isEmpty, 'alice knows block 3');
      assert.equal(hashA.toHex(), hashB.toHex(), 'same hash for block 3');

      // Block 3 is below each node's finalized head, so it is final on both.
      const [headA, headB] = await Promise.all([
        aliceApi.rpc.chain.getHeader(await aliceApi.rpc.chain.getFinalizedHead()),
        bobApi.rpc.chain.getHeader(await bobApi.rpc.chain.getFinalizedHead()),
      ]);
      assert.ok(headA.number.toNumber() >= TARGET_FINALIZED);
      assert.ok(headB.number.toNumber() >= TARGET_FINALIZED);

      const [healthA, healthB] = await Promise.all([aliceApi.rpc.system.health(), bobApi.rpc.system.health()]);
      assert.ok(healthA.peers.toNumber() >= 1, `alice has peers: ${healthA.toString()}`);
      assert.ok(healthB.peers.toNumber() >= 1, `bob has peers: ${healthB.toString()}`);
    }),
  );
});
