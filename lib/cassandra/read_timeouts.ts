/**
 * cassandra-driver's read timeout, on one timer for all requests instead of one timer each.
 *
 * The driver gives every request a timer of `socketOptions.readTimeout` when it is sent and
 * clears it when the answer comes. Under Deno a Node timer made and cleared costs about as much as
 * writing the request's frame, and the stream sends thousands of requests a second: in A/B drains
 * of 500,000 events, turning the timeout off saved about 1.4 µs of the stream's CPU per event.
 * Turning it off is not an option (a node that stops answering must fail the request, so it is
 * retried), so the same timeouts run on lib/core/deadlines.ts: a request that outlives its
 * timeout fails with the driver's own error and message, at the same moment, as before.
 *
 * driver_patches.ts installs these methods on the driver's OperationState (and takes them off
 * for the stock-driver ceiling); tests compare both on the same requests.
 */
import cassandra from "cassandra-driver";
// @ts-types="./driver_operation_state.d.ts"
import OperationState from "cassandra-driver/lib/operation-state.js";
import { Deadline, Deadlines } from "../core/deadlines.ts";

/** OperationState's `_state` while a request waits for its answer. */
const WAITING = 0;

/** A request waiting for its answer, with what its timeout needs. */
interface WaitingRequest {
  operation: OperationState;
  address: string;
  millis: number;
  onTimeout: () => void;
  onResponse: () => void;
}

/** Fails a request that had no answer in time, as the driver's own timer does. */
function timedOut(request: WaitingRequest): void {
  const { operation, address, millis } = request;
  // Answered already, under the driver's own methods (withStockDriver() swapped them meanwhile).
  if (operation._state !== WAITING) return;
  operation._timeout = null;
  request.onTimeout();
  const message = `The host ${address} did not reply before timeout ${millis} ms`;
  operation._markAsTimedOut(
    new cassandra.errors.OperationTimedOutError(message, address),
    request.onResponse,
  );
}

/** Every request's read timeout. */
export const readTimeouts: Deadlines<WaitingRequest> = new Deadlines(timedOut);

const stock = {
  cancel: OperationState.prototype.cancel,
  markAsCompleted: OperationState.prototype._markAsCompleted,
};

/** OperationState's patched methods; each does what the driver's method of the same name does. */
export const operationStateMethods: Record<string, unknown> = {
  setRequestTimeout(
    this: OperationState,
    execOptions: { getReadTimeout(): number | undefined },
    defaultReadTimeout: number,
    address: string,
    onTimeout: () => void,
    onResponse: () => void,
  ): void {
    if (this._state !== WAITING) return;
    const millis = execOptions.getReadTimeout() ?? defaultReadTimeout;
    if (!(millis > 0)) return;
    this._timeout = readTimeouts.add(
      { operation: this, address, millis, onTimeout, onResponse },
      millis,
    );
  },
  // The driver's own, once the timeout is settled here (it then has no timer to clear).
  cancel(this: OperationState): void {
    settle(this);
    stock.cancel.call(this);
  },
  _markAsCompleted(this: OperationState): void {
    settle(this);
    stock.markAsCompleted.call(this);
  },
};

/**
 * Calls off a waiting request's timeout, if it has one here; a timer the driver's own method set
 * (while withStockDriver() had swapped them) is left for the driver's method to clear.
 */
function settle(operation: OperationState): void {
  const deadline = operation._timeout;
  if (operation._state !== WAITING || !(deadline instanceof Deadline)) return;
  operation._timeout = null;
  readTimeouts.settle(deadline);
}
