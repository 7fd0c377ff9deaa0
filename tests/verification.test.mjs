// End-to-end test of verification on the dev chain: real `cairn-worker` processes (a solver and
// three verifiers, each with the digits dataset) and Alice posting tasks with polkadot-js.
//
// 1. An honest task: Bob trains and commits; two of the three verifiers are drawn, recompute
//    their segments and the run's endpoints, commit and reveal. One of them is killed (SIGKILL)
//    right after its commitment lands and started again on the same work directory: it reveals
//    what it committed to. The task settles: Bob is paid the reward less the verifiers' fees, the
//    verifiers are paid and credited, and the model is registered for Alice with `Trained`
//    provenance, all read back with polkadot-js; `cairn-worker export` fetches the model from the
//    solver's artifact server and writes it as safetensors whose weights hash to the registered hash.
// 2. Continuing it: Alice posts a task that continues the model just trained (`FromRegistry`) and
//    one that continues a model registered by hand whose weights are served nowhere. Bob skips the
//    second (never claimed; Alice cancels it) and trains the first from the parent's weights,
//    checked against the registry; the verifiers fetch the parent from Bob and replay; the result
//    is registered as the parent's child.
// 2b. Other workloads: a convolutional network, and a transformer language model trained on bytes
//    that Alice serves from her own HTTP server, each posted with polkadot-js, trained by Bob,
//    replayed by the verifiers, registered with its architecture and exported with named layers.
// 3. A cheating solver (Ferdie, a worker built with the test-only `dishonest` feature, run with
//    `--cheat perturb`): a drawn verifier contradicts its first checkpoint, Ferdie defends in the
//    dispute game, which bisects the segment's steps and then the last step's trace down to one
//    position; the third verifier, as the committee (root sets committees of one), re-executes it
//    and sides with the challenger. The result is rejected: Ferdie's task bond is slashed, the
//    arbiter paid from Ferdie's provider bond, and Alice refunded.
// 4. Whistleblowing: root makes every check carry a forced error; Eve runs as a lazy verifier
//    (`--dishonest lazy`: echoes Bob's leaves, makes up its witnesses) and `//Alice//stash` as a
//    whistleblower. All three verifiers are drawn; the whistleblower re-executes every witness
//    and challenges the wrong ones: Charlie and Dave show their forced errors with their secrets
//    and the whistleblower wins a jackpot from the pot for each; Eve cannot defend its witness,
//    loses the dispute and its slash goes to the whistleblower; a fresh verifier
//    (`//Bob//stash`) rechecks Eve's targets (its forced error pays a third jackpot) and the
//    task is accepted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Keyring } from '@polkadot/api';

import { NodeGroup, freePort } from './lib/node.mjs';
import { decodeDispatchError, signSendFinalized } from './lib/tx.mjs';
import { UNIT, WORKER_BIN, Worker, blake2, digitsSpec, f32Bits } from './lib/worker.mjs';

const execFileAsync = promisify(execFile);

const REWARD = 5n * UNIT;

describe('verification on the dev chain', () => {
  const group = new NodeGroup('cairn-e2e-verify-');
  const scratch = mkdtempSync(join(tmpdir(), 'cairn-e2e-verify-'));
  let api;
  let node;
  let keys;
  let solverPort;
  let solver;
  let whistleblower;
  // The model the first task trained, which the second continues.
  let trainedModel;
  const verifiers = {};

  const startWorker = (name, options) =>
    new Worker({
      rpcUrl: node.rpcUrl,
      workDir: join(scratch, name),
      logFile: join(group.logDir, `${name}.log`),
      suri: `//${name[0].toUpperCase()}${name.slice(1)}`,
      ...options,
    });
  const startVerifier = (name) => (verifiers[name] = startWorker(name, { role: 'verifier' }));

  const workerCli = async (...args) => (await execFileAsync(WORKER_BIN, args, { env: { ...process.env, RUST_LOG: 'warn' } })).stdout;

  async function ok(tx, signer) {
    const result = await signSendFinalized(api, tx, signer);
    assert.equal(result.dispatchError, undefined, JSON.stringify(decodeDispatchError(api, result.dispatchError)));
    return result;
  }

  /**
   * Alice posts a digits task checked by `verifiers` verifiers of `segments` segments each (of a
   * fresh network, or of `model` given); returns its id and block.
   */
  async function createTask(seed, verifiers = 2, segments = 2, model = undefined, edit = (spec) => spec) {
    const spec = digitsSpec({ port: solverPort, steps: 40, interval: 10, seed, verifiers, segments });
    if (model) spec.model = model;
    edit(spec);
    const result = await ok(api.tx.tasks.createTask(spec, REWARD), keys.alice);
    const event = result.events.find(({ event }) => api.events.tasks.TaskCreated.is(event)).event;
    return { taskId: event.data.taskId.toNumber(), from: (await api.rpc.chain.getHeader(result.blockHash)).number.toNumber() };
  }

  /** Events of the finalized blocks from `from` on that `matches` picks; waits until `enough(found)`. */
  async function waitForEvents(from, matches, enough, what, timeoutMs) {
    const end = Date.now() + timeoutMs;
    const found = [];
    let next = from;
    for (;;) {
      const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
      for (; next <= head; next++) {
        const events = await (await api.at(await api.rpc.chain.getBlockHash(next))).query.system.events();
        for (const { event } of events) if (matches(event)) found.push(event);
      }
      if (enough(found)) return found;
      for (const worker of [solver, whistleblower, ...Object.values(verifiers)]) {
        if (worker?.exitInfo) throw new Error(`a worker exited (${JSON.stringify(worker.exitInfo)}) while waiting for ${what}`);
      }
      if (Date.now() > end) throw new Error(`${what} not seen within ${timeoutMs} ms`);
      await sleep(500);
    }
  }

  const concludedEvent = (taskId) => (event) =>
    api.events.verification.VerificationConcluded.is(event) && event.data.taskId.toNumber() === taskId;

  /** Waits until task `taskId`, posted in block `from`, is accepted and settled; its TaskSettled event. */
  async function acceptedAndSettled(taskId, from) {
    const [concluded] = await waitForEvents(from, concludedEvent(taskId), (found) => found.length > 0, 'VerificationConcluded', 180_000);
    assert.equal(concluded.data.outcome.type, 'Accepted');
    const [settled] = await waitForEvents(
      from,
      (event) => api.events.tasks.TaskSettled.is(event) && event.data.taskId.toNumber() === taskId,
      (found) => found.length > 0,
      'TaskSettled',
      10_000,
    );
    return settled;
  }

  const provider = async (who) => (await api.query.computeStaking.providers(who.address)).unwrap();

  const run = (fn) =>
    group.run(async (t) => {
      try {
        return await fn(t);
      } catch (e) {
        for (const worker of [solver, whistleblower, ...Object.values(verifiers)].filter(Boolean)) {
          process.stderr.write(`\n----- ${worker.logFile} (tail) -----\n${worker.log().split('\n').slice(-40).join('\n')}\n`);
        }
        throw e;
      }
    });

  before(
    group.run(async () => {
      ({ node, api } = await group.startDev('dev'));
      solverPort = await freePort();
      const keyring = new Keyring({ type: 'sr25519' });
      keys = Object.fromEntries(
        ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie'].map((name) => [name, keyring.addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`)]),
      );
      solver = startWorker('bob', { port: solverPort });
      for (const name of ['charlie', 'dave', 'eve']) startVerifier(name);
      for (const worker of [solver, ...Object.values(verifiers)]) await worker.waitForLog(/registered/, 60_000);
    }),
  );

  after(async () => {
    for (const worker of Worker.running()) await worker.kill('SIGTERM');
    await whistleblower?.kill('SIGTERM');
    await group.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  test(
    'an honest task is verified, paid and registered for Alice; a verifier killed after committing still reveals',
    run(async () => {
      const bob0 = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
      const { taskId, from } = await createTask(42);

      // The first verifier to commit is killed once its commitment is final, then restarted.
      const committed = new RegExp(`committed task=${taskId} round=0`);
      const end = Date.now() + 180_000;
      let first;
      while (!(first = Object.keys(verifiers).find((name) => committed.test(verifiers[name].log())))) {
        if (Date.now() > end) throw new Error(`no verifier committed to task ${taskId} within 180 s`);
        await sleep(100);
      }
      const killed = verifiers[first];
      await killed.kill('SIGKILL');
      const logged = killed.log().length;
      const restarted = startVerifier(first);
      await restarted.waitForLog(new RegExp(`revealed task=${taskId} round=0`), 120_000, logged);
      assert.doesNotMatch(restarted.log().slice(logged), new RegExp(`recomputing task=${taskId}`), 'the record was reused');

      const settled = await acceptedAndSettled(taskId, from);
      const { solverPayment, fees, modelId } = settled.data;
      assert.equal(solverPayment.toBigInt() + fees.toBigInt(), REWARD);
      // The verifiers' fees and the pot's tax, in parts per billion of the reward.
      const { verificationFee, jackpotTax } = await api.query.verification.params();
      const feeShare = verificationFee.toBigInt() + jackpotTax.toBigInt();
      assert.ok(fees.toBigInt() > 0n && fees.toBigInt() <= (REWARD * feeShare) / 1_000_000_000n);

      // The model: registered for Alice, verified, with the committed weights.
      trainedModel = modelId.toNumber();
      const model = (await api.query.modelRegistry.models(modelId)).unwrap();
      assert.equal(model.owner.toString(), keys.alice.address);
      assert.equal(model.provenance.isTrained, true);
      assert.equal(model.provenance.asTrained.task.toNumber(), taskId);
      assert.equal((await api.query.modelRegistry.modelByHash(model.weightsHash)).unwrap().toNumber(), modelId.toNumber());
      // Anyone can fetch it from where its record says, checked against the on-chain hash, as
      // safetensors whose weights hash to the registered identity.
      const file = join(scratch, 'model.safetensors');
      const exported = await workerCli('export', '--url', node.rpcUrl, '--model', modelId.toString(), '--out', file, '--allow-private-addresses');
      assert.match(exported, new RegExp(`weights hash: ${model.weightsHash.toHex()}`));
      assert.match(await workerCli('weights-hash', file), new RegExp(`weights hash: ${model.weightsHash.toHex()}\nwidths: +64-32-10`));

      // Bob was paid; the two drawn verifiers served the task, the third was not drawn.
      const bob1 = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
      assert.ok(bob1 > bob0, 'Bob gained the payment, less his transaction fees');
      assert.equal((await provider(keys.bob)).tasksServed.toNumber(), 1);
      const served = [];
      for (const name of Object.keys(verifiers)) {
        const record = await provider(keys[name]);
        assert.equal(record.openTasks.verifier.toNumber(), 0);
        served.push(record.tasksServed.toNumber());
      }
      assert.deepEqual(served.sort(), [0, 1, 1]);
      assert.equal((await api.query.tasks.tasks(taskId)).isNone, true);
      assert.equal((await api.query.verification.verifications(taskId)).isNone, true);

      // Figures: the solver's training time against the verifiers' checks (fetches included).
      const trained = solver.log().match(new RegExp(`trained task=${taskId} .*steps=(\\d+) samples_per_s="(\\d+)"`));
      const trainingMs = (Number(trained[1]) * 32 * 1000) / Number(trained[2]);
      const checkedMs = Object.values(verifiers)
        .flatMap((worker) => [...worker.log().matchAll(new RegExp(`checked task=${taskId} round=0 targets=\\d+ millis=(\\d+)`, 'g'))])
        .reduce((sum, match) => sum + Number(match[1]), 0);
      process.stderr.write(
        `verification figures: training ${trainingMs.toFixed(0)} ms, checks ${checkedMs} ms in all ` +
          `(${((100 * checkedMs) / trainingMs).toFixed(0)}% of training, 4 segments of which every one is sampled)\n`,
      );
    }),
  );

  test(
    'a registered model is continued: its weights fetched and checked, the run verified, the result its child; a parent nobody serves is not claimed',
    run(async () => {
      // A model registered by hand whose weights are served nowhere: its continuation is skipped.
      const architecture = { Mlp: { input: 64, hidden: [32], output: 10, activation: 'Relu' } };
      const registered = await ok(
        api.tx.modelRegistry.registerModel('0x' + '77'.repeat(32), 'lost', architecture, null, null, 'http://127.0.0.1:9/nowhere', 'MIT'),
        keys.alice,
      );
      const lost = registered.events.find(({ event }) => api.events.modelRegistry.ModelRegistered.is(event)).event.data.modelId.toNumber();
      const { taskId: orphan } = await createTask(45, 2, 2, { FromRegistry: { model: lost } });
      const { taskId, from } = await createTask(46, 2, 2, { FromRegistry: { model: trainedModel } });

      const settled = await acceptedAndSettled(taskId, from);
      const child = (await api.query.modelRegistry.models(settled.data.modelId)).unwrap();
      assert.equal(child.parent.unwrap().toNumber(), trainedModel);
      assert.equal(child.provenance.asTrained.task.toNumber(), taskId);
      assert.equal(child.architecture.toString(), (await api.query.modelRegistry.models(trainedModel)).unwrap().architecture.toString());
      // The verifiers replayed from the parent's weights, which they fetched from the solver.
      assert.ok(Object.values(verifiers).some((worker) => new RegExp(`checked task=${taskId} `).test(worker.log())));

      // The orphan was never claimed: the solver said why, and Alice takes it back.
      assert.match(solver.log(), new RegExp(`refusing the task: cannot get the parent model.*task=${orphan}`));
      assert.ok((await api.query.tasks.tasks(orphan)).unwrap().status.isOpen);
      await ok(api.tx.tasks.cancelTask(orphan), keys.alice);
    }),
  );

  test(
    'a convolutional network posted from polkadot-js is trained, verified by replay and registered; its export names its layers',
    run(async () => {
      const cnn = {
        channels: 1,
        height: 8,
        width: 8,
        convs: [
          { channels: 8, kernel: 3, pool: true },
          { channels: 16, kernel: 3, pool: true },
        ],
        hidden: [],
        output: 10,
        activation: 'Relu',
      };
      const { taskId, from } = await createTask(7, 2, 2, { Fresh: { architecture: { Cnn: cnn }, initSeed: 7 } });
      const settled = await acceptedAndSettled(taskId, from);
      const model = (await api.query.modelRegistry.models(settled.data.modelId)).unwrap();
      assert.equal(model.architecture.isCnn, true);
      assert.equal(model.architecture.asCnn.convs.length, 2);
      assert.equal(model.provenance.asTrained.task.toNumber(), taskId);
      // Verifiers replayed CNN segments, not just compared hashes.
      assert.ok(Object.values(verifiers).some((worker) => new RegExp(`checked task=${taskId} `).test(worker.log())));

      const file = join(scratch, 'cnn.safetensors');
      const exported = await workerCli('export', '--url', node.rpcUrl, '--model', settled.data.modelId.toString(), '--out', file, '--allow-private-addresses');
      assert.match(exported, new RegExp(`weights hash: ${model.weightsHash.toHex()}`));
      const bytes = readFileSync(file);
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
      assert.equal(header.__metadata__['cairn.cnn'], '1x8x8-c8k3p-c16k3p-10');
      assert.deepEqual(header['convs.0.weight'].shape, [8, 1, 3, 3]);
      assert.deepEqual(header['dense.0.weight'].shape, [10, 64]);
      const accuracy = solver.log().match(new RegExp(`trained task=${taskId} .*accuracy="(\\d+/\\d+)"`))?.[1];
      process.stderr.write(`cnn figures: task ${taskId} trained to ${accuracy} held-out accuracy in 40 steps\n`);
    }),
  );

  test(
    'a transformer language model posted from polkadot-js trains on bytes Alice serves, is verified by replay and registered; its export names its blocks',
    run(async () => {
      // Alice's dataset: windows of 17 bytes of this repository's README (16 tokens of context
      // and the next), in Cairn's dataset format, served by her own HTTP server.
      const [context, windows] = [16, 120];
      const text = readFileSync(join(import.meta.dirname, '..', 'README.md')).subarray(0, (context + 1) * windows);
      const header = Buffer.alloc(28);
      header.write('CAIRNDAT', 0, 'latin1');
      [1, windows, context, 256].forEach((word, i) => header.writeUInt32LE(word, 8 + 4 * i));
      header[24] = 255;
      const data = Buffer.concat([header, text]);
      const hex = Buffer.from(blake2(data)).toString('hex');
      const server = createServer((_, response) => response.end(data)).listen(0, '127.0.0.1');
      await once(server, 'listening');
      const stopServing = () => {
        server.close();
        server.closeAllConnections();
      };
      try {
        const transformer = { vocab: 256, context, width: 16, heads: 2, blocks: 1, feedForward: 32, activation: 'Gelu' };
        const { taskId, from } = await createTask(7, 2, 2, { Fresh: { architecture: { Transformer: transformer }, initSeed: 7 } }, (spec) => {
          spec.name = 'readme-bytes';
          spec.dataset = { hash: `0x${hex}`, size: data.length, uri: `http://127.0.0.1:${server.address().port}/readme.bin` };
          // At most 512 tokens a step: at most 32 sequences of 16.
          spec.training.batchSize = 8;
          spec.training.optimizer = { Adam: { learningRateBits: f32Bits(0.003), beta1Bits: f32Bits(0.9), beta2Bits: f32Bits(0.999), epsilonBits: f32Bits(1e-8) } };
        });
        // Alice's host goes down once Bob has the bytes: the verifiers fetch them from Bob.
        await solver.waitForLog(new RegExp(`dataset downloaded.*hash="?0x${hex}`), 120_000);
        stopServing();
        const settled = await acceptedAndSettled(taskId, from);
        const model = (await api.query.modelRegistry.models(settled.data.modelId)).unwrap();
        assert.equal(model.architecture.isTransformer, true);
        assert.equal(model.architecture.asTransformer.feedForward.toNumber(), 32);
        const checked = Object.values(verifiers).filter((worker) => new RegExp(`checked task=${taskId} `).test(worker.log()));
        assert.ok(checked.length > 0);
        const fromBob = new RegExp(`dataset downloaded uri="?http://127.0.0.1:${solverPort}/artifacts/${hex}`);
        assert.ok(checked.every((worker) => fromBob.test(worker.log())), 'the verifiers downloaded the dataset from Bob');

        const file = join(scratch, 'transformer.safetensors');
        const exported = await workerCli('export', '--url', node.rpcUrl, '--model', settled.data.modelId.toString(), '--out', file, '--allow-private-addresses');
        assert.match(exported, new RegExp(`weights hash: ${model.weightsHash.toHex()}`));
        const bytes = readFileSync(file);
        const tensors = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
        assert.equal(tensors.__metadata__['cairn.transformer'], 'v256-t16-d16-h2-b1-f32');
        assert.deepEqual(tensors['embed.tokens'].shape, [256, 16]);
        assert.deepEqual(tensors['blocks.0.attention.qkv.weight'].shape, [48, 16]);
        assert.deepEqual(tensors['head.weight'].shape, [256, 16]);
        const trained = solver.log().match(new RegExp(`trained task=${taskId} .*perplexity="?([\\d.]+)`))?.[1];
        assert.ok(Number(trained) > 1, `held-out perplexity ${trained}`);
        process.stderr.write(`transformer figures: task ${taskId} trained to held-out perplexity ${trained} in 40 steps\n`);
      } finally {
        stopServing();
      }
    }),
  );

  test(
    'a cheating solver is rejected and slashed and the submitter refunded',
    run(async () => {
      // Bob stops; Ferdie, a dishonest solver, takes the next task. Rejected tasks are refunded.
      await solver.kill('SIGTERM');
      const params = (await api.query.tasks.params()).toJSON();
      await ok(api.tx.sudo.sudo(api.tx.tasks.setParams({ ...params, maxReopens: 0 })), keys.alice);
      // Three verifiers in all: after two are drawn, a recheck round or a committee has one.
      const verification = (await api.query.verification.params()).toJSON();
      await ok(
        api.tx.sudo.sudo(api.tx.verification.setParams({ ...verification, recheckVerifiers: 1, arbiters: 1 })),
        keys.alice,
      );
      const arbiterFee = BigInt(verification.arbiterFee);
      solver = startWorker('ferdie', { port: solverPort, extraArgs: ['--cheat', 'perturb'] });
      await solver.waitForLog(/registered/, 60_000);
      const escrow = async () => {
        const holds = await api.query.balances.holds(keys.alice.address);
        return holds.filter((h) => h.id.isTasks && h.id.asTasks.isTaskEscrow).reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
      };
      const held0 = await escrow();

      const { taskId, from } = await createTask(43);
      const [concluded] = await waitForEvents(from, concludedEvent(taskId), (found) => found.length > 0, 'VerificationConcluded', 300_000);
      assert.equal(concluded.data.outcome.type, 'Rejected');

      // The dispute, read back from the chain's events: opened by a verifier against Ferdie,
      // bisected by both (10 steps, then a 14-position trace: at most 4 + 4 rounds), and lost
      // by Ferdie before the committee.
      const disputeEvents = await waitForEvents(
        from,
        (event) =>
          event.section === 'verification' &&
          ['DisputeOpened', 'MidpointPosted', 'MidpointAnswered', 'ArbitersDrawn', 'DisputeResolved'].includes(event.method) &&
          event.data.taskId.toNumber() === taskId,
        (found) => found.some((event) => event.method === 'DisputeResolved'),
        'DisputeResolved',
        10_000,
      );
      const [opened] = disputeEvents.filter((event) => event.method === 'DisputeOpened');
      assert.equal(opened.data.defender.toString(), keys.ferdie.address);
      const challenger = opened.data.challenger.toString();
      const posted = disputeEvents.filter((event) => event.method === 'MidpointPosted');
      const answered = disputeEvents.filter((event) => event.method === 'MidpointAnswered');
      assert.ok(posted.length >= 4 && posted.length <= 8, `${posted.length} midpoints`);
      assert.equal(answered.length, posted.length);
      // Perturbed checkpoint 1: every midpoint the honest challenger checks agrees, so the game
      // ends at the last step of the segment, on the output state (the trace's last position).
      assert.ok(answered.every((event) => event.data.agree.isTrue));
      const [drawn] = disputeEvents.filter((event) => event.method === 'ArbitersDrawn');
      const point = drawn.data.point.asTrace;
      assert.deepEqual([point.step.toNumber(), point.position.toNumber()], [9, 13]);
      const arbiter = drawn.data.arbiters[0].toString();
      assert.ok(![challenger, keys.ferdie.address].includes(arbiter));
      const [resolved] = disputeEvents.filter((event) => event.method === 'DisputeResolved');
      assert.deepEqual(
        [resolved.data.winner.toString(), resolved.data.loser.toString(), resolved.data.resolution.type],
        [challenger, keys.ferdie.address, 'Arbitrated'],
      );
      const [rejected] = await waitForEvents(
        from,
        (event) => api.events.tasks.TaskRejected.is(event) && event.data.taskId.toNumber() === taskId,
        (found) => found.length > 0,
        'TaskRejected',
        10_000,
      );
      assert.equal(rejected.data.solver.toString(), keys.ferdie.address);
      const bond = rejected.data.slashed.toBigInt();
      assert.ok(bond > 0n);
      assert.match(solver.log(), /committing a dishonest run/);

      // Alice got reward and deposit back; Ferdie's record shows the task bond and the arbiter's
      // fee taken.
      assert.equal((await api.query.tasks.tasks(taskId)).isNone, true);
      assert.equal(await escrow(), held0);
      const ferdie = await provider(keys.ferdie);
      assert.deepEqual(
        [ferdie.slashCount.toNumber(), ferdie.slashedTotal.toBigInt(), ferdie.openTasks.solver.toNumber()],
        [2, bond + arbiterFee, 0],
      );
      await waitForEvents(
        from,
        (event) => api.events.tasks.TaskRefunded.is(event) && event.data.taskId.toNumber() === taskId,
        (found) => found.length > 0,
        'TaskRefunded',
        10_000,
      );
    }),
  );
  test(
    "a whistleblower wins the jackpot for forced errors and the lazy verifier's slash",
    run(async () => {
      await solver.kill('SIGTERM');
      solver = startWorker('bob', { port: solverPort });
      await verifiers.eve.kill('SIGTERM');
      verifiers.eve = startWorker('eve', { role: 'verifier', extraArgs: ['--dishonest', 'lazy'] });
      // Bonded for ten challenges at once.
      whistleblower = startWorker('whistleblower', { role: 'whistleblower', suri: '//Alice//stash', extraArgs: ['--bond', '200'] });
      for (const worker of [solver, verifiers.eve, whistleblower]) await worker.waitForLog(/registered/, 60_000);
      const params = (await api.query.verification.params()).toJSON();
      await ok(
        api.tx.sudo.sudo(
          api.tx.verification.setParams({ ...params, forcedErrorRate: 1_000_000_000, challengeWindow: 10, moveWindow: 5 }),
        ),
        keys.alice,
      );
      const keyring = new Keyring({ type: 'sr25519' });
      const [stash, bobStash] = [keyring.addFromUri('//Alice//stash'), keyring.addFromUri('//Bob//stash')];
      const free = async (address) => (await api.query.system.account(address)).data.free.toBigInt();
      const pot = Buffer.concat([Buffer.from('modlcairn/vp'), Buffer.alloc(20)]);
      const [stash0, pot0] = [await free(stash.address), await free(pot)];
      const eveBond0 = (await provider(keys.eve)).bonded.toBigInt();

      // Three verifiers of one segment each: every segment is dealt at most once, so Eve's is
      // hers alone and must be rechecked once her check is defeated.
      const { taskId, from } = await createTask(44, 3, 1);
      // Once round 0 is drawn, a fourth verifier joins for the recheck of Eve's targets.
      await waitForEvents(
        from,
        (event) => api.events.verification.VerifiersDrawn.is(event) && event.data.taskId.toNumber() === taskId,
        (found) => found.length > 0,
        'VerifiersDrawn',
        120_000,
      );
      verifiers.bobStash = startWorker('bob-stash', { role: 'verifier', suri: '//Bob//stash' });
      const [concluded] = await waitForEvents(from, concludedEvent(taskId), (found) => found.length > 0, 'VerificationConcluded', 400_000);
      assert.equal(concluded.data.outcome.type, 'Accepted');

      const events = await waitForEvents(
        from,
        (event) =>
          event.section === 'verification' &&
          ['WitnessChallenged', 'ForcedErrorRevealed', 'DisputeResolved', 'VerifierSlashed'].includes(event.method) &&
          event.data.taskId.toNumber() === taskId,
        () => true,
        'the whistleblowing events',
        10_000,
      );
      const named = (method) => events.filter((event) => event.method === method);
      assert.ok(named('WitnessChallenged').every((event) => event.data.whistleblower.toString() === stash.address));
      // Every honest verifier's forced error was caught: a jackpot each, paid from the pot.
      const jackpots = named('ForcedErrorRevealed');
      const honest = [keys.charlie.address, keys.dave.address, bobStash.address];
      assert.deepEqual(jackpots.map((event) => event.data.verifier.toString()).sort(), [...honest].sort());
      const jackpot = (REWARD * BigInt(params.jackpot)) / 1_000_000_000n;
      assert.ok(jackpots.every((event) => event.data.jackpot.toBigInt() === jackpot));
      // Eve could not defend its made-up witness: it lost by timeout and was slashed to the whistleblower.
      const lost = named('DisputeResolved').filter((event) => event.data.loser.toString() === keys.eve.address);
      assert.equal(lost.length, 1);
      assert.deepEqual([lost[0].data.winner.toString(), lost[0].data.resolution.type], [stash.address, 'TimedOut']);
      const [slashed] = named('VerifierSlashed').filter((event) => event.data.verifier.toString() === keys.eve.address);
      const slash = slashed.data.amount.toBigInt();
      assert.ok(slash > 0n);
      assert.equal((await provider(keys.eve)).bonded.toBigInt(), eveBond0 - slash);
      // The whistleblower gained three jackpots and Eve's slash (less its transaction fees); the
      // pot paid the jackpots and took the tax on the reward.
      const gained = (await free(stash.address)) - stash0;
      assert.ok(gained > 3n * jackpot + slash - UNIT && gained <= 3n * jackpot + slash, `gained ${gained}`);
      const tax = (REWARD * BigInt(params.jackpotTax)) / 1_000_000_000n;
      assert.equal(await free(pot), pot0 - 3n * jackpot + tax);
      assert.match(verifiers.charlie.log(), /making the forced error/);
      assert.match(verifiers.charlie.log(), /showing the forced error/);
      assert.match(whistleblower.log(), /challenging task=\d+ .* subject=Witness/);
      assert.equal((await provider(stash)).openTasks.whistleblower.toNumber(), 0);
    }),
  );
});
