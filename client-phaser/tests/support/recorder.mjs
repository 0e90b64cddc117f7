// Records every event a socket.io-client socket receives and lets a test wait for one.

/**
 * Starts recording `socket`'s events. Returns the log (`{ event, args, at }` in arrival order) and
 * `waitFor(event, pred, ms)`, which resolves with the args of the first matching event, past or future.
 */
export function record(socket) {
  const log = [];
  const waiters = [];
  socket.onAny((event, ...args) => {
    log.push({ event, args, at: performance.now() });
    for (const w of [...waiters]) {
      if (w.event === event && w.pred(...args)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(args);
      }
    }
  });
  const waitFor = (event, pred = () => true, ms = 5000) => {
    const seen = log.find((e) => e.event === event && pred(...e.args));
    if (seen) return Promise.resolve(seen.args);
    return new Promise((resolve, reject) => {
      const w = { event, pred, resolve };
      waiters.push(w);
      setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) {
          waiters.splice(i, 1);
          reject(new Error(`no ${event} within ${ms} ms`));
        }
      }, ms);
    });
  };
  return { log, waitFor };
}
