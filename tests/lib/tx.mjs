// Submitting signed extrinsics with polkadot-js and waiting for their finalization.

/**
 * Sign `tx` with `signer`, submit it and wait until the block including it is finalized.
 * Resolves with `{ blockHash, events, dispatchError, fee }`: `events` are this extrinsic's
 * events, `dispatchError` is set when it was included but failed, `fee` is the fee paid
 * (from `transactionPayment.TransactionFeePaid`, as a BigInt). Rejects when the pool drops or
 * rejects it, or when it is not finalized within `timeoutMs` (a timeout only, not a timing test).
 */
export function signSendFinalized(api, tx, signer, timeoutMs = 30_000) {
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
    const timer = setTimeout(
      () => finish(reject, new Error(`${tx.method.section}.${tx.method.method} not finalized within ${timeoutMs} ms`)),
      timeoutMs,
    );
    tx.signAndSend(signer, (result) => {
      const { status, events, dispatchError } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        finish(reject, new Error(`${tx.method.section}.${tx.method.method}: transaction ${status.type}`));
      } else if (status.isFinalized) {
        const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
        finish(resolve, {
          blockHash: status.asFinalized,
          events,
          dispatchError,
          fee: feeEvent ? feeEvent.event.data.actualFee.toBigInt() + feeEvent.event.data.tip.toBigInt() : null,
        });
      }
    })
      .then((u) => {
        unsub = u;
        if (done) u();
      })
      .catch((e) => finish(reject, e));
  });
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
