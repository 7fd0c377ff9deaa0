// End-to-end test of the solver: a dev node, `cairn-worker run --role solver` as Bob (the 8x8
// digits dataset imported into its artifact store), and Alice posting tasks with polkadot-js.
//
// 1. Bob's worker registers, claims Alice's task, trains it and commits. The test then checks the
//    commitment without trusting the worker: it fetches every checkpoint listed in the index the
//    worker serves (`GET <artifacts_uri>/tasks/<id>/checkpoints`, then
//    `GET <artifacts_uri>/artifacts/<hex>`), hashes it with BLAKE2b-256, fetches the worker's
//    Merkle proof of it (`GET <artifacts_uri>/tasks/<id>/checkpoints/<i>/proof`) and has the
//    runtime check the proof against the committed root (`TasksApi::checkpoint_is_committed`,
//    the pallet's own code); a changed checkpoint or a moved index does not prove. The root also
//    equals the one `cairn-worker train` computes offline for the same spec.
// 2. The worker is killed (SIGKILL) in the middle of a longer task and started again on the same
//    work directory: it resumes from its last checkpoint and the task gets exactly one
//    ResultSubmitted event, with a root that again checks out.
// 3. The node is stopped and started again on the same database and port: the worker reconnects
//    on its own and serves the next task.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Keyring } from '@polkadot/api';
import { u8aEq, u8aToHex, hexToU8a } from '@polkadot/util';

import { NodeGroup, freePort } from './lib/node.mjs';
import { awaitSubscription, decodeDispatchError, signSendFinalized } from './lib/tx.mjs';
import { DIGITS, UNIT, WORKER_BIN, Worker, blake2, digitsSpec } from './lib/worker.mjs';

/** JSON from `url`. */
async function getJson(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

/** Bytes from `url`. */
async function getBytes(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

describe('solver worker on the dev chain', () => {
  const group = new NodeGroup('cairn-e2e-solver-');
  const workDir = mkdtempSync(join(tmpdir(), 'cairn-e2e-solver-work-'));
  const chainDir = mkdtempSync(join(tmpdir(), 'cairn-e2e-solver-chain-'));
  let api;
  let node;
  let alice;
  let bob;
  let port;
  let metricsPort;
  let worker;
  let firstTaskId; // the task of the first test, committed before the second starts

  // The spec of a task, and the same spec as `cairn-worker train` flags.
  const spec = (params) => digitsSpec({ port, ...params });
  const trainFlags = ({ steps, interval, seed }) => [
    '--name', 'digits-mlp', '--license', 'Apache-2.0', '--mlp', '64-32-10', '--activation', 'relu',
    '--init-seed', String(seed), '--dataset-file', DIGITS, '--learning-rate', '0.05', '--momentum', '0.9',
    '--batch-size', '32', '--steps', String(steps), '--data-order-seed', '7', '--checkpoint-interval', String(interval),
    '--verifiers', '1', '--segments', '2',
  ];

  const startWorker = () =>
    // Nobody verifies here, so committed tasks stay open: a bond for four of them.
    new Worker({
      rpcUrl: node.rpcUrl,
      workDir,
      port,
      logFile: join(group.logDir, 'worker.log'),
      suri: '//Bob',
      extraArgs: ['--bond', '400', '--metrics-listen', `127.0.0.1:${metricsPort}`],
    });

  /** Alice posts a task; returns its id and the block it was created in. */
  async function createTask(params) {
    const result = await signSendFinalized(api, api.tx.tasks.createTask(spec(params), 5n * UNIT), alice);
    assert.equal(result.dispatchError, undefined, JSON.stringify(decodeDispatchError(api, result.dispatchError)));
    const event = result.events.find(({ event }) => api.events.tasks.TaskCreated.is(event)).event;
    const header = await api.rpc.chain.getHeader(result.blockHash);
    return { taskId: event.data.taskId.toNumber(), createdAt: header.number.toNumber() };
  }

  /** The task's status once `done(status)` holds (polling finalized state). */
  async function waitForStatus(taskId, done, what, timeoutMs) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const task = await api.query.tasks.tasks(taskId);
      if (task.isSome && done(task.unwrap().status)) return task.unwrap().status;
      if (worker?.exitInfo) throw new Error(`the worker exited (${JSON.stringify(worker.exitInfo)}) while waiting for ${what}`);
      if (Date.now() > end) throw new Error(`task ${taskId}: ${what} not reached within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** ResultSubmitted events of `taskId` in finalized blocks `from..=` the finalized head. */
  async function resultSubmittedEvents(taskId, from) {
    const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    const found = [];
    for (let number = from; number <= head; number++) {
      const hash = await api.rpc.chain.getBlockHash(number);
      const events = await (await api.at(hash)).query.system.events();
      for (const { event } of events) {
        if (api.events.tasks.ResultSubmitted.is(event) && event.data.taskId.toNumber() === taskId) found.push(number);
      }
    }
    return found;
  }

  /**
   * Checks the commitment of `taskId` against what the worker serves: the index's hashes give
   * the on-chain root, every checkpoint hashes to its leaf and proves against the root, and the
   * final weights hash to the committed hash. Returns the leaves.
   */
  async function checkCommitment(taskId, checkpointCount) {
    const status = (await api.query.tasks.tasks(taskId)).unwrap().status;
    assert.equal(status.isSubmitted, true);
    assert.equal(status.asSubmitted.solver.toString(), bob.address);
    const commitment = status.asSubmitted.commitment;
    const root = commitment.checkpointRoot.toU8a();
    const base = commitment.artifactsUri.toUtf8();
    assert.equal(base, worker.url);
    assert.equal(commitment.checkpointCount.toNumber(), checkpointCount);

    const index = await getJson(`${base}/tasks/${taskId}/checkpoints`);
    assert.equal(index.complete, true);
    assert.equal(index.root, u8aToHex(root), "the worker's root is the committed one");
    const leaves = index.checkpoints.map((hex) => hexToU8a(hex));
    assert.equal(leaves.length, checkpointCount);

    const committed = async (proof) => (await api.call.tasksApi.checkpointIsCommitted(taskId, proof)).isTrue;
    for (let i = 0; i < leaves.length; i++) {
      const bytes = await getBytes(`${base}/artifacts/${u8aToHex(leaves[i]).slice(2)}`);
      const leaf = blake2(bytes);
      assert.ok(u8aEq(leaf, leaves[i]), `checkpoint ${i} hashes to its leaf`);
      const served = await getJson(`${base}/tasks/${taskId}/checkpoints/${i}/proof`);
      const proof = { leaf, leafIndex: i, numberOfLeaves: checkpointCount, siblings: served.siblings };
      assert.deepEqual([served.leaf, served.leaf_index, served.number_of_leaves], [u8aToHex(leaf), i, checkpointCount]);
      assert.ok(await committed(proof), `checkpoint ${i} proves against the on-chain root`);
      if (i === 1) {
        const tampered = bytes.slice();
        tampered[tampered.length - 1] ^= 1;
        assert.ok(!(await committed({ ...proof, leaf: blake2(tampered) })), 'a changed checkpoint does not prove');
        assert.ok(!(await committed({ ...proof, leafIndex: i + 1 })), 'a checkpoint does not prove at another index');
      }
    }
    const weights = await getBytes(`${base}/artifacts/${commitment.finalWeightsHash.toHex().slice(2)}`);
    assert.equal(u8aToHex(blake2(weights)), commitment.finalWeightsHash.toHex());
    return { root: u8aToHex(root), leaves };
  }

  /** Runs a test body; on failure prints the worker's log tail (the node's comes from group.run). */
  const run = (fn) =>
    group.run(async (t) => {
      try {
        return await fn(t);
      } catch (e) {
        const log = worker?.log() ?? '';
        process.stderr.write(`\n----- worker log (tail) -----\n${log.split('\n').slice(-60).join('\n')}\n-----\n`);
        throw e;
      }
    });

  before(
    group.run(async () => {
      if (!existsSync(WORKER_BIN)) {
        throw new Error(`cairn-worker not found at ${WORKER_BIN}: build it (cd ml-offchain && cargo build) or set CAIRN_WORKER`);
      }
      ({ node, api } = await group.startDev('dev', { basePath: chainDir }));
      port = await freePort();
      metricsPort = await freePort();
      const keyring = new Keyring({ type: 'sr25519' });
      [alice, bob] = ['//Alice', '//Bob'].map((uri) => keyring.addFromUri(uri));
    }),
  );

  after(async () => {
    for (const w of Worker.running()) await w.kill('SIGTERM');
    await group.stopAll();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(chainDir, { recursive: true, force: true });
  });

  test(
    'Bob registers, claims, trains and commits; every checkpoint proves against the on-chain root',
    run(async () => {
      worker = startWorker();
      await worker.waitForLog(/registered/, 60_000);
      const provider = (await api.query.computeStaking.providers(bob.address)).unwrap();
      assert.equal(provider.roles.solver.isTrue, true);
      assert.equal(provider.bonded.toBigInt(), 4n * (await api.query.computeStaking.params()).minSolverBond.toBigInt());

      const params = { steps: 40, interval: 10, seed: 42 };
      const { taskId, createdAt } = await createTask(params);
      firstTaskId = taskId;
      await waitForStatus(taskId, (s) => s.isSubmitted, 'Submitted', 120_000);
      const { root } = await checkCommitment(taskId, 5);
      assert.deepEqual((await resultSubmittedEvents(taskId, createdAt)).length, 1);

      // An uninterrupted offline run of the same spec commits to the same root.
      const scratch = mkdtempSync(join(tmpdir(), 'cairn-e2e-train-'));
      try {
        const out = execFileSync(WORKER_BIN, ['train', ...trainFlags(params), '--dir', scratch], {
          env: { ...process.env, RUST_LOG: 'warn' },
        }).toString();
        assert.equal(out.match(/checkpoint root:\s+(0x[0-9a-f]{64})/)[1], root);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      // The operator sees the same on the metrics port, from the block after the commitment's.
      const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const sampleOf = (text, name) => Number(text.match(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
      let metrics = await scrape();
      for (const end = Date.now() + 30_000; sampleOf(metrics, 'cairn_worker_tasks{phase="submitted"}') !== 1 && Date.now() < end; ) {
        await sleep(200);
        metrics = await scrape();
      }
      const sample = (name) => sampleOf(metrics, name);
      assert.equal(sample('cairn_worker_tasks{phase="submitted"}'), 1, metrics);
      assert.equal(sample('cairn_worker_training_steps_total'), 40, metrics);
      assert.ok(sample('cairn_worker_extrinsics_total{outcome="included"}') >= 2, metrics);
      assert.ok(sample('cairn_worker_artifact_bytes_served_total') > 0, metrics);
      assert.ok(sample('cairn_worker_finalized_block') >= createdAt, metrics);
      assert.ok(sample('cairn_worker_seconds_since_finalized_block') < 30, metrics);
      const samplesPerSecond = worker.log().match(/trained task=\d+ .*samples_per_s="(\d+)"/)?.[1];
      process.stderr.write(`solver figures: ${samplesPerSecond} samples/s over task ${taskId}\n`);
    }),
  );

  test(
    'a worker killed in the middle of training resumes from its last checkpoint and commits once',
    run(async () => {
      assert.ok(worker && firstTaskId !== undefined, 'runs after the first test, with its worker');
      // About 30 checkpoints of 100 steps: long enough to be killed in the middle.
      const params = { steps: 3000, interval: 100, seed: 43 };
      const { taskId, createdAt } = await createTask(params);
      const record = join(workDir, 'tasks', `${taskId}.json`);
      const checkpointsOnRecord = () => {
        try {
          return JSON.parse(readFileSync(record, 'utf8')).checkpoints.length;
        } catch {
          return 0; // not written yet, or mid-rename
        }
      };
      const end = Date.now() + 120_000;
      while (checkpointsOnRecord() < 4) {
        if (Date.now() > end) throw new Error(`task ${taskId}: fewer than 4 checkpoints recorded within 120 s`);
        if (worker.exitInfo) throw new Error(`the worker exited (${JSON.stringify(worker.exitInfo)})`);
        await sleep(50);
      }
      await worker.kill('SIGKILL');
      const kept = checkpointsOnRecord();
      assert.ok(kept < 31, `killed after the last checkpoint (${kept}); make the task longer`);
      assert.equal((await api.query.tasks.tasks(taskId)).unwrap().status.isClaimed, true);

      const before = worker.log().length;
      const restartedAt = Date.now();
      worker = startWorker();
      await worker.waitForLog(new RegExp(`task\\{id=${taskId}\\}.*resuming`), 120_000, before);
      const resumedAfter = Date.now() - restartedAt;
      await waitForStatus(taskId, (s) => s.isSubmitted, 'Submitted after the restart', 300_000);
      const restarted = worker.log().slice(before);
      assert.match(restarted, new RegExp(`task\\{id=${taskId}\\}.*resuming step=${(kept - 1) * 100}`));
      // Nothing is claimed again, given up or retrained from scratch after the restart.
      assert.doesNotMatch(restarted, /claiming|claim refused|giving the task up|checkpoints_done=0/);
      await checkCommitment(taskId, 31);
      // Let the worker's resend delay (8 blocks: the commitment's whole life) and a margin pass
      // on chain: no second commitment follows, however slowly the machine runs.
      const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
      await awaitSubscription(
        (callback) => api.rpc.chain.subscribeFinalizedHeads(callback),
        (header) => (header.number.toNumber() >= head + 10 ? true : undefined),
        120_000,
        () => `no block past #${head + 10} within two minutes`,
      );
      assert.equal((await resultSubmittedEvents(taskId, createdAt)).length, 1);
      const records = [firstTaskId, taskId].map((id) => JSON.parse(readFileSync(join(workDir, 'tasks', `${id}.json`), 'utf8')));
      assert.deepEqual(records.map((r) => Object.keys(r.phase)), [['submitted'], ['submitted']]);
      process.stderr.write(`killed after ${kept} of 31 checkpoints; training resumed ${resumedAfter} ms after the restart and committed once\n`);
    }),
  );

  test(
    'the worker reconnects after the node restarts and serves the next task',
    run(async () => {
      assert.ok(worker && !worker.exitInfo, 'runs after the other tests, with their worker');
      const before = worker.log().length;
      await node.stop();
      await worker.waitForLog(/reconnecting in/, 30_000, before);
      ({ node, api } = await group.restart(node, 'dev-restarted'));
      const nodeBackAt = Date.now();
      await worker.waitForLog(/\bconnected url=/, 60_000, before);
      const reconnectedAfter = Date.now() - nodeBackAt;
      const { taskId, createdAt } = await createTask({ steps: 40, interval: 10, seed: 44 });
      await waitForStatus(taskId, (s) => s.isSubmitted, 'Submitted after the node restart', 120_000);
      await checkCommitment(taskId, 5);
      assert.equal((await resultSubmittedEvents(taskId, createdAt)).length, 1);
      assert.match(worker.log().slice(before), /\bconnected url=/);
      assert.equal(worker.exitInfo, undefined, 'the same worker process throughout');
      process.stderr.write(`the worker reconnected ${reconnectedAfter} ms after the node was back\n`);
    }),
  );
});
