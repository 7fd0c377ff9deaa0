// `cairn-worker` processes for the end-to-end tests, and the task spec the tests post.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { blake2AsU8a } from '@polkadot/util-crypto';

/** The worker binary: `$CAIRN_WORKER`, else `${CAIRN_WORKER_TARGET_DIR:-~/.cache/cairn-worker-target}/debug/cairn-worker`. */
export const WORKER_BIN =
  process.env.CAIRN_WORKER ||
  join(process.env.CAIRN_WORKER_TARGET_DIR || join(homedir(), '.cache', 'cairn-worker-target'), 'debug', 'cairn-worker');
/** The 8x8 digits dataset shipped in the repository. */
export const DIGITS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ml-offchain', 'data', 'digits.bin');
export const UNIT = 10n ** 12n;

export const blake2 = (bytes) => blake2AsU8a(bytes, 256);
export const f32Bits = (x) => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
};

const workers = new Set();
process.on('exit', () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
});

/**
 * A running `cairn-worker run --role <role>` with the digits dataset imported, allowed to download
 * from loopback; output appended to `logFile` (filter: `$CAIRN_WORKER_LOG`, default info). A
 * solver serves its artifacts on `port`.
 */
export class Worker {
  constructor({ role = 'solver', rpcUrl, workDir, port, logFile, suri, extraArgs = [] }) {
    this.logFile = logFile;
    const serving = role === 'solver' ? ['--listen', `127.0.0.1:${port}`, '--public-url', `http://127.0.0.1:${port}`] : [];
    this.url = role === 'solver' ? `http://127.0.0.1:${port}` : null;
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(
        WORKER_BIN,
        // Every download of these tests is from a solver on loopback, which workers refuse by default.
        ['--url', rpcUrl, 'run', '--role', role, '--work-dir', workDir, ...serving, '--dataset-file', DIGITS, '--allow-private-addresses', ...extraArgs],
        { stdio: ['ignore', fd, fd], env: { ...process.env, CAIRN_SURI: suri, RUST_LOG: process.env.CAIRN_WORKER_LOG || 'info' } },
      );
    } finally {
      closeSync(fd);
    }
    workers.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        workers.delete(this);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  log() {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Waits for `regex` in the log from character `from` on. */
  async waitForLog(regex, timeoutMs, from = 0) {
    const end = Date.now() + timeoutMs;
    while (!regex.test(this.log().slice(from))) {
      if (this.exitInfo) throw new Error(`the worker exited (${JSON.stringify(this.exitInfo)}) before logging ${regex}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${regex} in the worker's log`);
      await sleep(100);
    }
  }

  async kill(signal) {
    if (!this.exitInfo) this.child.kill(signal);
    return this.exited;
  }

  /** Every worker still running. */
  static running() {
    return [...workers];
  }
}

/**
 * A task spec for the digits MLP, its dataset served by the solver on `port`: `steps` steps of 32
 * samples, a checkpoint every `interval`, checked by `verifiers` verifiers of `segments` each.
 */
export function digitsSpec({ port, steps, interval, seed, verifiers = 1, segments = 2 }) {
  const data = readFileSync(DIGITS);
  const hash = '0x' + Buffer.from(blake2(data)).toString('hex');
  return {
    name: 'digits-mlp',
    license: 'Apache-2.0',
    model: { Fresh: { architecture: { Mlp: { input: 64, hidden: [32], output: 10, activation: 'Relu' } }, initSeed: seed } },
    dataset: { hash, size: data.length, uri: `http://127.0.0.1:${port}/artifacts/${hash.slice(2)}` },
    training: {
      optimizer: { Sgd: { learningRateBits: f32Bits(0.05), momentumBits: f32Bits(0.9) } },
      batchSize: 32,
      steps,
      dataOrderSeed: 7,
      checkpointInterval: interval,
    },
    verification: { verifiers, segmentsPerVerifier: segments },
  };
}
