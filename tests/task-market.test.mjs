// End-to-end test of the compute market on the dev chain with the polkadot-js client: Bob
// registers as a solver with a held bond, Alice posts a training task (reward and deposit held),
// Bob claims it (his solver bond held) and commits to a result. Balances and holds are read back
// after every step, and wrong calls (a claim by a non-solver, a late or mismatched commitment, a
// cancel by someone else) fail with their module errors without moving funds. Nothing is paid out:
// settlement waits for verification, and a result it leaves unsettled past the verification
// window (shortened by root through sudo) is expired: the submitter refunded, the solver's bond
// released.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Keyring } from '@polkadot/api';

import { NodeGroup } from './lib/node.mjs';
import { awaitSubscription, decodeDispatchError, signSendFinalized } from './lib/tx.mjs';

const UNIT = 10n ** 12n;
const randomHash = () => '0x' + randomBytes(32).toString('hex');
const f32Bits = (x) => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
};

// An MLP for the 8x8 digits, 100 steps of 32 samples, a checkpoint every 10 steps (11 in all).
const spec = () => ({
  name: 'digits-mlp',
  license: 'Apache-2.0',
  model: { Fresh: { architecture: { Mlp: { input: 64, hidden: [32], output: 10, activation: 'Relu' } }, initSeed: 42 } },
  dataset: { hash: randomHash(), size: 116_805, uri: 'http://127.0.0.1:8000/artifacts/digits' },
  training: {
    optimizer: { Sgd: { learningRateBits: f32Bits(0.05), momentumBits: f32Bits(0.9) } },
    batchSize: 32,
    steps: 100,
    dataOrderSeed: 7,
    checkpointInterval: 10,
  },
  verification: { verifiers: 2, segmentsPerVerifier: 2 },
});

const commitment = (checkpointCount) => ({
  finalWeightsHash: randomHash(),
  checkpointRoot: randomHash(),
  checkpointCount,
  artifactsUri: 'http://127.0.0.1:8000/artifacts',
});

describe('compute market on the dev chain', () => {
  const group = new NodeGroup('cairn-e2e-market-');
  let api;
  let alice;
  let bob;
  let charlie;

  /** Free balance and the amount held for `pallet`/`reason`, as BigInts. */
  async function balances(who, pallet, reason) {
    const [holds, account] = await Promise.all([
      api.query.balances.holds(who.address),
      api.query.system.account(who.address),
    ]);
    const hold = holds.find((h) => h.id.type === pallet && h.id.value.type === reason);
    return { free: account.data.free.toBigInt(), held: hold ? hold.amount.toBigInt() : 0n };
  }

  /** Submits and expects success; returns the events and the fee paid. */
  async function ok(tx, signer) {
    const result = await signSendFinalized(api, tx, signer);
    assert.equal(result.dispatchError, undefined, JSON.stringify(decodeDispatchError(api, result.dispatchError)));
    return result;
  }

  /** Submits and expects the given module error; returns the fee paid. */
  async function fails(tx, signer, section, name) {
    const result = await signSendFinalized(api, tx, signer);
    const error = decodeDispatchError(api, result.dispatchError);
    assert.deepEqual([error?.section, error?.name], [section, name]);
    return result.fee;
  }

  before(
    group.run(async () => {
      ({ api } = await group.startDev());
      const keyring = new Keyring({ type: 'sr25519' });
      [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));
    }),
  );

  after(async () => {
    await group.stopAll();
  });

  test(
    'Bob bonds as a solver, Alice posts a task, Bob claims it and commits; holds follow each step',
    group.run(async () => {
      const stakingParams = await api.query.computeStaking.params();
      const taskParams = await api.query.tasks.params();
      const minBond = stakingParams.minSolverBond.toBigInt();
      const deposit = taskParams.taskDeposit.toBigInt();

      // Bob registers as a solver with exactly the minimum bond.
      const bob0 = await balances(bob, 'ComputeStaking', 'ProviderBond');
      const reg = await ok(
        api.tx.computeStaking.registerProvider(
          { solver: true, verifier: false, whistleblower: false },
          { isa: 'X86_64V3', arithmetic: 1, backend: 'FlexCpu', memoryGib: 16, gpu: null },
          minBond,
        ),
        bob,
      );
      const bob1 = await balances(bob, 'ComputeStaking', 'ProviderBond');
      assert.equal(bob1.held, bob0.held + minBond);
      assert.equal(bob1.free, bob0.free - minBond - reg.fee);
      const provider = (await api.query.computeStaking.providers(bob.address)).unwrap();
      assert.equal(provider.bonded.toBigInt(), minBond);
      assert.equal(provider.roles.solver.isTrue, true);

      // Alice posts the task; reward and deposit are held.
      const reward = 10n * UNIT;
      const taskId = (await api.query.tasks.nextTaskId()).toNumber();
      const alice0 = await balances(alice, 'Tasks', 'TaskEscrow');
      const created = await ok(api.tx.tasks.createTask(spec(), reward), alice);
      const event = created.events.find(({ event }) => api.events.tasks.TaskCreated.is(event)).event;
      assert.equal(event.data.taskId.toNumber(), taskId);
      assert.equal(event.data.reward.toBigInt(), reward);
      const alice1 = await balances(alice, 'Tasks', 'TaskEscrow');
      assert.equal(alice1.held, alice0.held + reward + deposit);
      assert.equal(alice1.free, alice0.free - reward - deposit - created.fee);
      const task = (await api.query.tasks.tasks(taskId)).unwrap();
      assert.equal(task.status.isOpen, true);

      // Charlie is no solver: his claim fails and he only pays the fee.
      const charlie0 = await balances(charlie, 'Tasks', 'SolverBond');
      const fee = await fails(api.tx.tasks.claimTask(taskId), charlie, 'tasks', 'NotEligibleSolver');
      const charlie1 = await balances(charlie, 'Tasks', 'SolverBond');
      assert.deepEqual(charlie1, { free: charlie0.free - fee, held: 0n });

      // Bob claims: his solver bond (a share of the reward) is held.
      const bondRatio = taskParams.solverBondRatio.toBigInt(); // parts per billion
      const bob2 = await balances(bob, 'Tasks', 'SolverBond');
      const claimed = await ok(api.tx.tasks.claimTask(taskId), bob);
      const bob3 = await balances(bob, 'Tasks', 'SolverBond');
      const solverBond = (reward * bondRatio) / 1_000_000_000n;
      assert.equal(bob3.held, bob2.held + solverBond);
      assert.equal(bob3.free, bob2.free - solverBond - claimed.fee);
      assert.equal((await api.query.computeStaking.providers(bob.address)).unwrap().openTasks.solver.toNumber(), 1);

      // Wrong calls change nothing but fees.
      await fails(api.tx.tasks.cancelTask(taskId), charlie, 'tasks', 'NotSubmitter');
      await fails(api.tx.tasks.cancelTask(taskId), alice, 'tasks', 'TaskNotOpen');
      await fails(api.tx.tasks.submitResult(taskId, commitment(10)), bob, 'tasks', 'CheckpointCountMismatch');
      await fails(api.tx.tasks.submitResult(taskId, commitment(11)), charlie, 'tasks', 'NotSolver');
      await fails(api.tx.computeStaking.unbond(minBond), bob, 'computeStaking', 'BondNeededByOpenTasks');
      assert.equal((await balances(alice, 'Tasks', 'TaskEscrow')).held, alice1.held);

      // Bob commits; the task awaits verification and nothing has been paid.
      const result = commitment(11);
      await ok(api.tx.tasks.submitResult(taskId, result), bob);
      const submitted = (await api.query.tasks.tasks(taskId)).unwrap();
      assert.equal(submitted.status.isSubmitted, true);
      assert.equal(submitted.status.asSubmitted.commitment.checkpointRoot.toHex(), result.checkpointRoot);
      assert.equal((await balances(alice, 'Tasks', 'TaskEscrow')).held, alice1.held);
      assert.equal((await balances(bob, 'Tasks', 'SolverBond')).held, bob3.held);
    }),
  );

  test(
    'a result left unverified past the verification window expires: Alice refunded, Bob released',
    group.run(async () => {
      /** Runs `call` as root; returns the module error inside `sudo.Sudid`, or null. */
      async function asRoot(call) {
        const { events } = await ok(api.tx.sudo.sudo(call), alice);
        const sudid = events.find(({ event }) => api.events.sudo.Sudid.is(event)).event;
        const result = sudid.data.sudoResult;
        return result.isErr ? decodeDispatchError(api, result.asErr) : null;
      }

      // Root may shorten the window, never to zero.
      const params = (await api.query.tasks.params()).toJSON();
      const zero = await asRoot(api.tx.tasks.setParams({ ...params, verificationWindow: 0 }));
      assert.deepEqual([zero?.section, zero?.name], ['tasks', 'InvalidParams']);
      assert.equal((await api.query.tasks.params()).verificationWindow.toNumber(), params.verificationWindow);
      // Ten blocks: the attempt to expire early lands well inside even on a loaded machine, where
      // an empty block is sealed every 3 s whatever the test does.
      assert.equal(await asRoot(api.tx.tasks.setParams({ ...params, verificationWindow: 10 })), null);

      if ((await api.query.computeStaking.providers(bob.address)).isNone) {
        const minBond = (await api.query.computeStaking.params()).minSolverBond;
        await ok(
          api.tx.computeStaking.registerProvider(
            { solver: true, verifier: false, whistleblower: false },
            { isa: 'X86_64V3', arithmetic: 1, backend: 'FlexCpu', memoryGib: 16, gpu: null },
            minBond,
          ),
          bob,
        );
      }
      const openBefore = (await api.query.computeStaking.providers(bob.address)).unwrap().openTasks.solver.toNumber();
      const alice0 = await balances(alice, 'Tasks', 'TaskEscrow');
      const bob0 = await balances(bob, 'Tasks', 'SolverBond');
      const taskId = (await api.query.tasks.nextTaskId()).toNumber();
      const created = await ok(api.tx.tasks.createTask(spec(), 10n * UNIT), alice);
      // Bob's first task still awaits verification (no verifier is registered): every open task
      // needs one minimum bond of collateral, so a second claim needs a second one.
      if (openBefore > 0) {
        const minBond = (await api.query.computeStaking.params()).minSolverBond;
        await fails(api.tx.tasks.claimTask(taskId), bob, 'computeStaking', 'InsufficientCollateral');
        await ok(api.tx.computeStaking.bondMore(minBond.toBigInt() * BigInt(openBefore)), bob);
        Object.assign(bob0, await balances(bob, 'Tasks', 'SolverBond'));
      }
      const claimed = await ok(api.tx.tasks.claimTask(taskId), bob);
      const submitted = await ok(api.tx.tasks.submitResult(taskId, commitment(11)), bob);
      // No verifier is registered: the draw waits, and the window set above runs out.
      const verifyBy = (await api.query.tasks.tasks(taskId)).unwrap().status.asSubmitted.verifyBy.toNumber();

      // Inside the window the task cannot be expired.
      const early = await fails(api.tx.tasks.expireTask(taskId), charlie, 'tasks', 'TaskNotExpired');
      assert.ok(early > 0n);
      // The dev chain seals an empty block every 3 s; wait until the next block is past the window.
      await awaitSubscription(
        (callback) => api.rpc.chain.subscribeFinalizedHeads(callback),
        (header) => (header.number.toNumber() >= verifyBy ? true : undefined),
        60_000,
        () => `no block past #${verifyBy} within a minute`,
      );
      const expired = await ok(api.tx.tasks.expireTask(taskId), charlie);
      const timedOut = expired.events.find(({ event }) => api.events.tasks.VerificationTimedOut.is(event));
      assert.ok(timedOut, 'VerificationTimedOut emitted');
      assert.equal(timedOut.event.data.solver.toString(), bob.address);
      assert.equal((await api.query.tasks.tasks(taskId)).isNone, true);

      // Alice paid only fees; Bob's bond came back whole; his open task closed.
      const alice1 = await balances(alice, 'Tasks', 'TaskEscrow');
      assert.deepEqual(alice1, { free: alice0.free - created.fee, held: alice0.held });
      const bob1 = await balances(bob, 'Tasks', 'SolverBond');
      assert.deepEqual(bob1, { free: bob0.free - claimed.fee - submitted.fee, held: bob0.held });
      assert.equal((await api.query.computeStaking.providers(bob.address)).unwrap().openTasks.solver.toNumber(), openBefore);
    }),
  );
});
