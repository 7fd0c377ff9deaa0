// Helpers for the end-to-end tests: find the cairn-node binary, pick free loopback ports, run a
// node with its output in a log file, connect polkadot-js to it once its RPC server answers, and
// stop it again (SIGTERM, then SIGKILL) whatever happened in the test.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ApiPromise, WsProvider } from '@polkadot/api';

/** The node binary: `$CAIRN_NODE`, else `${CARGO_TARGET_DIR:-~/.cache/cairn-target}/debug/cairn-node`. */
export const NODE_BIN =
  process.env.CAIRN_NODE ||
  join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'cairn-target'), 'debug', 'cairn-node');

/** Fail early, with a useful message, when the binary has not been built. */
export function assertNodeBinary() {
  if (!existsSync(NODE_BIN)) {
    throw new Error(`cairn-node not found at ${NODE_BIN}: build it (cargo build -p cairn-node) or set CAIRN_NODE`);
  }
}

/**
 * `count` distinct free TCP ports on 127.0.0.1. All listeners stay open until every port is
 * chosen, so the ports differ from each other; the OS does not hand them out again at once.
 */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort() {
  const [port] = await freePorts(1);
  return port;
}

// Every node still running, so that an abrupt exit of the test process does not leave any behind.
const running = new Set();
function killAllRunning() {
  for (const node of running) {
    try {
      node.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllRunning);
// The test runner stops a test file with a signal on a timeout or Ctrl-C; 'exit' does not run then.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllRunning();
    process.kill(process.pid, signal);
  });
}

/** Last `lines` lines of a file, or a note that it cannot be read. */
function tailOf(file, lines) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

/** Reject after `ms` with `what` in the message; `clear()` when the race is over. */
function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/** A running cairn-node. Create it with `startNode`. */
export class CairnNode {
  constructor({ name, args, rpcPort, logDir }) {
    this.name = name;
    this.args = args;
    this.rpcPort = rpcPort;
    this.rpcUrl = `ws://127.0.0.1:${rpcPort}`;
    this.logFile = join(logDir, `${name}.log`);
    this.exitInfo = null;
    this.apis = [];

    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(NODE_BIN, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        resolve(this.exitInfo);
      });
      this.child.once('error', (error) => {
        this.exitInfo = { error };
        running.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  /** Whole log so far. */
  log() {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 60) {
    return tailOf(this.logFile, lines);
  }

  /** Print the tail of this node's log to stderr. */
  printTail(lines = 60) {
    process.stderr.write(
      `\n----- last ${lines} lines of ${this.name} (${this.logFile}) -----\n${this.tail(lines)}\n----- end of ${this.name} -----\n`,
    );
  }

  /** Wait for a regular expression to appear in the log; returns the match. */
  async waitForLog(regex, timeoutMs = 30_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = this.log().match(regex);
      if (m) return m;
      if (this.exitInfo) throw new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before logging ${regex}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${regex} in ${this.name}'s log`);
      await sleep(200);
    }
  }

  /**
   * Poll the RPC port with polkadot-js until it connects and has loaded the metadata; returns the
   * connected ApiPromise (disconnected by `stop`). Fails at once if the node exits.
   */
  async connect(timeoutMs = 60_000) {
    const end = Date.now() + timeoutMs;
    let lastError = null;
    while (Date.now() < end) {
      if (this.exitInfo) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before its RPC server answered`);
      }
      // No automatic reconnection: a failed attempt is dropped and the loop tries again.
      const provider = new WsProvider(this.rpcUrl, false);
      const ready = ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
      ready.catch(() => {}); // observed below; this only keeps an early rejection from being unhandled
      const limit = deadline(Math.max(1_000, Math.min(15_000, end - Date.now())), `connecting to ${this.rpcUrl}`);
      try {
        await provider.connect();
        const api = await Promise.race([ready, limit.promise]);
        this.apis.push(api);
        return api;
      } catch (e) {
        lastError = e;
        ready.then((api) => api.disconnect()).catch(() => {});
        await provider.disconnect().catch(() => {});
      } finally {
        limit.clear();
      }
      await sleep(250);
    }
    const why = lastError?.message ?? lastError?.type ?? String(lastError);
    throw new Error(`${this.name}: RPC at ${this.rpcUrl} did not answer within ${timeoutMs} ms (last error: ${why})`);
  }

  /** Disconnect its clients, then SIGTERM, then SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 10_000) {
    for (const api of this.apis.splice(0)) {
      await api.disconnect().catch(() => {});
    }
    if (this.exitInfo) return this.exitInfo;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exitInfo) this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Start `cairn-node` with `args`; its stdout and stderr go to `<logDir>/<name>.log`.
 * `rpcPort` must be the port given with `--rpc-port`.
 */
export function startNode({ name, args, rpcPort, logDir }) {
  assertNodeBinary();
  return new CairnNode({ name, args, rpcPort, logDir });
}

/**
 * A group of nodes for one test file, sharing a temporary log directory. `run(fn)` wraps a test
 * body: when it throws, the tail of every node's log is printed before the error propagates.
 * `stopAll()` (call it from `after`) stops every node and removes the logs if nothing failed
 * (set CAIRN_E2E_KEEP_LOGS=1 to keep them anyway).
 */
export class NodeGroup {
  constructor(prefix = 'cairn-e2e-') {
    this.logDir = mkdtempSync(join(tmpdir(), prefix));
    this.nodes = [];
    this.failed = false;
  }

  start(name, args, rpcPort) {
    const node = startNode({ name, args, rpcPort, logDir: this.logDir });
    this.nodes.push(node);
    return node;
  }

  /**
   * Start `cairn-node --dev` on free ports and connect polkadot-js to it. Its database is
   * temporary unless `basePath` is given, which lets `restart` bring the same chain back.
   */
  async startDev(name = 'dev', { basePath } = {}) {
    const [rpcPort, p2pPort] = await freePorts(2);
    const storage = basePath ? ['--base-path', basePath] : ['--tmp'];
    const node = this.start(
      name,
      ['--dev', ...storage, '--rpc-port', String(rpcPort), '--port', String(p2pPort), '--no-prometheus', '--no-telemetry'],
      rpcPort,
    );
    return { node, api: await node.connect(90_000) };
  }

  /** Start a stopped `node` again as `name`, with the same arguments and ports; connect polkadot-js. */
  async restart(node, name) {
    const again = this.start(name, node.args, node.rpcPort);
    return { node: again, api: await again.connect(90_000) };
  }

  run(fn) {
    return async (t) => {
      try {
        return await fn(t);
      } catch (e) {
        this.failed = true;
        for (const node of this.nodes) node.printTail();
        throw e;
      }
    };
  }

  async stopAll() {
    const exits = await Promise.all(this.nodes.map((n) => n.stop()));
    if (this.failed || process.env.CAIRN_E2E_KEEP_LOGS) {
      process.stderr.write(`node logs kept in ${this.logDir}\n`);
    } else {
      rmSync(this.logDir, { recursive: true, force: true });
    }
    return exits;
  }
}
