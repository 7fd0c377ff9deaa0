// Submitting signed extrinsics with polkadot-js and waiting for their finalization.

/**
 * Subscribe with `subscribe(callback)` (a polkadot-js subscription: it resolves to an unsubscribe
 * function) and resolve with the first value `step(update)` returns that is not `undefined`;
 * `step` throws to reject. Unsubscribes in every case; rejects with `timeoutMessage()` after
 * `timeoutMs` (a bound on waiting, not a timing assertion).
 */
export function awaitSubscription(subscribe, step, timeoutMs, timeoutMessage) {
  return new Promise((resolve, reject) => {
    let unsub = null;
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (unsub) unsub();
      fn(value);
    };
    const timer = setTimeout(() => finish(reject, new Error(timeoutMessage())), timeoutMs);
    subscribe((update) => {
      try {
        const value = step(update);
        if (value !== undefined) finish(resolve, value);
      } catch (e) {
        finish(reject, e);
      }
    })
      .then((u) => {
        unsub = u;
        if (done) u();
      })
      .catch((e) => finish(reject, e));
  });
}

/**
 * Sign `tx` with `signer`, submit it and wait until the block including it is finalized.
 * Resolves with `{ blockHash, events, dispatchError, fee }`: `events` are this extrinsic's
 * events, `dispatchError` is set when it was included but failed, `fee` is the fee paid
 * (from `transactionPayment.TransactionFeePaid`, as a BigInt). Rejects when the pool drops or
 * rejects it, or when it is not finalized within `timeoutMs` (a timeout only, not a timing test).
 */
export function signSendFinalized(api, tx, signer, timeoutMs = 30_000) {
  const call = `${tx.method.section}.${tx.method.method}`;
  return awaitSubscription(
    (callback) => tx.signAndSend(signer, callback),
    ({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        throw new Error(`${call}: transaction ${status.type}`);
      }
      if (!status.isFinalized) return undefined;
      const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
      return {
        blockHash: status.asFinalized,
        events,
        dispatchError,
        fee: feeEvent ? feeEvent.event.data.actualFee.toBigInt() + feeEvent.event.data.tip.toBigInt() : null,
      };
    },
    timeoutMs,
    () => `${call} not finalized within ${timeoutMs} ms`,
  );
}

/** `{ section, name, docs }` of a failed dispatch's module error, or a description of another error. */
export function decodeDispatchError(api, dispatchError) {
  if (!dispatchError) return null;
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    return { section, name, docs };
  }
  return { section: null, name: dispatchError.type, docs: [], error: dispatchError.toString() };
}
