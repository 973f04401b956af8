/** The timeout part of cassandra-driver's lib/operation-state.js (one request on a connection). */
declare class OperationState {
  constructor(request: unknown, rowCallback: unknown, callback: (...args: unknown[]) => void);
  _state: number;
  _timeout: unknown;
  setRequestTimeout(
    execOptions: { getReadTimeout(): number | undefined },
    defaultReadTimeout: number,
    address: string,
    onTimeout: () => void,
    onResponse: () => void,
  ): void;
  setResult(err: unknown, result?: unknown, length?: number): void;
  cancel(): void;
  canBeWritten(): boolean;
  _markAsCompleted(): void;
  _markAsTimedOut(err: Error, onResponse: () => void): void;
}
export default OperationState;
