// End-to-end test of the dev chain with the polkadot-js client: starts
// `cairn-node --dev --tmp` on free loopback ports and, as Alice,
//  a. registers a model with `modelRegistry.registerModel`, waits for finalization, checks the
//     `ModelRegistered` event, the `models`, `modelByHash` and `nextModelId` storage, the deposit
//     held under `{ ModelRegistry: 'ModelDeposit' }` and its amount (depositBase + depositPerByte
//     * bytes of name, URI and license);
//  b. submits bad registrations (duplicate weights hash, too-long name, unknown parent) that are
//     included but fail with the matching `modelRegistry` module error, and checks that they only
//     cost fees (held deposit and `nextModelId` unchanged);
//  c. checks that the metadata carries documentation for calls, events, storage and errors.
// Everything is decoded from the runtime's metadata: no custom type definitions.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Keyring } from '@polkadot/api';

import { NodeGroup } from './lib/node.mjs';
import { decodeDispatchError, signSendFinalized } from './lib/tx.mjs';

const FINALIZE_TIMEOUT_MS = 30_000;

const NAME = 'digits-mlp';
const ARCHITECTURE = { Mlp: { input: 64, hidden: [32], output: 10, activation: 'Relu' } };
const DATASET = '0x' + 'ab'.repeat(32);
const METADATA_URI = 'ipfs://cairn/digits';
const LICENSE = 'Apache-2.0';

const randomHash = () => '0x' + randomBytes(32).toString('hex');
const utf8Len = (s) => Buffer.byteLength(s, 'utf8');

describe('dev chain', () => {
  const group = new NodeGroup('cairn-e2e-dev-');
  let api;
  let alice;
  // Set by test a, used by test b.
  let registered = null;

  // Alice's ModelDeposit hold (0n when there is none) and free balance.
  async function aliceBalances() {
    const [holds, account] = await Promise.all([
      api.query.balances.holds(alice.address),
      api.query.system.account(alice.address),
    ]);
    const entries = holds.filter((h) => h.id.type === 'ModelRegistry' && h.id.value.type === 'ModelDeposit');
    assert.ok(entries.length <= 1, `one ModelDeposit hold at most, got ${holds.toHuman()}`);
    return {
      holdEntry: entries[0] ?? null,
      held: entries.length ? entries[0].amount.toBigInt() : 0n,
      free: account.data.free.toBigInt(),
    };
  }

  before(
    group.run(async () => {
      ({ api } = await group.startDev());
      alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    }),
  );

  after(async () => {
    await group.stopAll();
  });

  test(
    'a. registers a model as Alice, holds its deposit and stores the record',
    group.run(async () => {
      const weightsHash = randomHash();
      const nextBefore = (await api.query.modelRegistry.nextModelId()).toBigInt();
      const balBefore = await aliceBalances();

      const tx = api.tx.modelRegistry.registerModel(
        weightsHash,
        NAME,
        ARCHITECTURE,
        null,
        DATASET,
        METADATA_URI,
        LICENSE,
      );
      const result = await signSendFinalized(api, tx, alice, FINALIZE_TIMEOUT_MS);
      assert.equal(result.dispatchError, undefined, `registerModel failed: ${JSON.stringify(decodeDispatchError(api, result.dispatchError))}`);
      assert.ok(
        result.events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)),
        'ExtrinsicSuccess emitted',
      );

      // The event.
      const registeredEvents = result.events.filter(({ event }) => api.events.modelRegistry.ModelRegistered.is(event));
      assert.equal(registeredEvents.length, 1, 'exactly one ModelRegistered event');
      const ev = registeredEvents[0].event.data;
      const modelId = ev.modelId.toBigInt();
      assert.equal(modelId, nextBefore, 'the model gets the id nextModelId had');
      assert.equal(ev.owner.toString(), alice.address);
      assert.equal(ev.weightsHash.toHex(), weightsHash);
      assert.ok(ev.parent.isNone, 'no parent');
      assert.ok(ev.provenance.isUploaded, `provenance Uploaded, got ${ev.provenance.toString()}`);
      const deposit = ev.deposit.toBigInt();

      // The deposit follows the runtime constants.
      const base = api.consts.modelRegistry.depositBase.toBigInt();
      const perByte = api.consts.modelRegistry.depositPerByte.toBigInt();
      const bytes = BigInt(utf8Len(NAME) + utf8Len(METADATA_URI) + utf8Len(LICENSE));
      assert.equal(deposit, base + perByte * bytes, `deposit = ${base} + ${perByte} * ${bytes}`);
      assert.ok(deposit > 0n);

      // The record.
      const header = await api.rpc.chain.getHeader(result.blockHash);
      const maybeRecord = await api.query.modelRegistry.models(modelId);
      assert.ok(maybeRecord.isSome, `models(${modelId}) is set`);
      const record = maybeRecord.unwrap();
      assert.equal(record.owner.toString(), alice.address);
      assert.equal(record.weightsHash.toHex(), weightsHash);
      assert.equal(record.name.toUtf8(), NAME);
      assert.ok(record.architecture.isMlp, `architecture Mlp, got ${record.architecture.toString()}`);
      const mlp = record.architecture.asMlp;
      assert.equal(mlp.input.toNumber(), 64);
      assert.deepEqual(mlp.hidden.map((w) => w.toNumber()), [32]);
      assert.equal(mlp.output.toNumber(), 10);
      assert.ok(mlp.activation.isRelu, `activation Relu, got ${mlp.activation.toString()}`);
      assert.ok(record.parent.isNone);
      assert.ok(record.dataset.isSome);
      assert.equal(record.dataset.unwrap().toHex(), DATASET);
      assert.equal(record.metadataUri.toUtf8(), METADATA_URI);
      assert.equal(record.license.toUtf8(), LICENSE);
      assert.ok(record.provenance.isUploaded);
      assert.equal(record.provenance.type, 'Uploaded');
      assert.equal(record.deposit.toBigInt(), deposit);
      assert.equal(record.registeredAt.toNumber(), header.number.toNumber(), 'registeredAt is the including block');
      assert.equal(record.deprecated.isTrue, false);

      // The hash index and the counter.
      const byHash = await api.query.modelRegistry.modelByHash(weightsHash);
      assert.ok(byHash.isSome, 'modelByHash is set');
      assert.equal(byHash.unwrap().toBigInt(), modelId);
      assert.equal((await api.query.modelRegistry.nextModelId()).toBigInt(), modelId + 1n);

      // The deposit is held from Alice, and she paid nothing else than it and the fee.
      const afterReg = await aliceBalances();
      assert.ok(afterReg.holdEntry, 'Alice has a ModelRegistry/ModelDeposit hold');
      assert.deepEqual(afterReg.holdEntry.id.toHuman(), { ModelRegistry: 'ModelDeposit' });
      assert.equal(afterReg.held, balBefore.held + deposit, 'held amount grew by the deposit');
      if (balBefore.held === 0n) assert.equal(afterReg.held, deposit, 'held amount equals the deposit');
      assert.notEqual(result.fee, null, 'TransactionFeePaid emitted');
      assert.equal(balBefore.free - afterReg.free, deposit + result.fee, 'free balance fell by deposit + fee');

      registered = { weightsHash, modelId, deposit };
    }),
  );

  test(
    'b. bad registrations are included, fail with module errors and cost only fees',
    group.run(async () => {
      assert.ok(registered, 'needs the model registered by test a');
      const maxNameLen = api.consts.modelRegistry.maxNameLen.toNumber();
      assert.ok(maxNameLen > 0);

      const cases = [
        {
          error: 'DuplicateWeightsHash',
          args: [registered.weightsHash, 'digits-mlp-again', ARCHITECTURE, null, DATASET, METADATA_URI, LICENSE],
        },
        {
          error: 'NameTooLong',
          args: [randomHash(), 'n'.repeat(maxNameLen + 1), ARCHITECTURE, null, DATASET, METADATA_URI, LICENSE],
        },
        {
          error: 'UnknownParent',
          args: [randomHash(), 'orphan', ARCHITECTURE, 999999, DATASET, METADATA_URI, LICENSE],
        },
      ];

      const nextBefore = (await api.query.modelRegistry.nextModelId()).toBigInt();
      const balBefore = await aliceBalances();
      let fees = 0n;

      for (const { error, args } of cases) {
        const result = await signSendFinalized(api, api.tx.modelRegistry.registerModel(...args), alice, FINALIZE_TIMEOUT_MS);
        assert.ok(result.dispatchError, `${error}: the extrinsic must fail`);
        assert.ok(
          result.events.some(({ event }) => api.events.system.ExtrinsicFailed.is(event)),
          `${error}: included in a block with ExtrinsicFailed`,
        );
        assert.ok(result.dispatchError.isModule, `${error}: a module error, got ${result.dispatchError.toString()}`);
        const decoded = api.registry.findMetaError(result.dispatchError.asModule);
        assert.equal(decoded.section, 'modelRegistry', `${error}: section`);
        assert.equal(decoded.name, error);
        assert.ok(
          !result.events.some(({ event }) => api.events.modelRegistry.ModelRegistered.is(event)),
          `${error}: no ModelRegistered event`,
        );
        assert.notEqual(result.fee, null, `${error}: TransactionFeePaid emitted`);
        assert.ok(result.fee > 0n, `${error}: a fee was paid`);
        fees += result.fee;
      }

      const afterBad = await aliceBalances();
      assert.equal(afterBad.held, balBefore.held, 'held deposit unchanged');
      assert.equal((await api.query.modelRegistry.nextModelId()).toBigInt(), nextBefore, 'nextModelId unchanged');
      assert.equal(balBefore.free - afterBad.free, fees, 'only the fees were paid');

      // The unrelated hashes were not indexed.
      assert.ok((await api.query.modelRegistry.modelByHash(cases[1].args[0])).isNone);
      assert.ok((await api.query.modelRegistry.modelByHash(cases[2].args[0])).isNone);
      // The original model is untouched.
      const record = (await api.query.modelRegistry.models(registered.modelId)).unwrap();
      assert.equal(record.name.toUtf8(), NAME);
      assert.equal(record.deposit.toBigInt(), registered.deposit);
    }),
  );

  test(
    'c. the metadata documents calls, events, storage and errors',
    group.run(async () => {
      const docs = (meta) => meta.docs.map((d) => d.toString()).join(' ').trim();
      assert.ok(docs(api.tx.modelRegistry.registerModel.meta).length > 0, 'registerModel call docs');
      assert.ok(docs(api.events.modelRegistry.ModelRegistered.meta).length > 0, 'ModelRegistered event docs');
      assert.ok(docs(api.query.modelRegistry.models.creator.meta).length > 0, 'models storage docs');
      assert.ok(docs(api.query.modelRegistry.modelByHash.creator.meta).length > 0, 'modelByHash storage docs');
      assert.ok(docs(api.errors.modelRegistry.DuplicateWeightsHash.meta).length > 0, 'DuplicateWeightsHash error docs');
      assert.ok(docs(api.consts.modelRegistry.depositBase.meta).length > 0, 'depositBase constant docs');
    }),
  );
});
