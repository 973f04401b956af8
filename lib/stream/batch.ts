/**
 * The transform of one micro-batch, with no I/O: messages in; rows to write, dead letters, the
 * next offset per partition and counts out.
 */
import type { Catalog, Value } from "../pipeline/catalog.ts";
import type { Dataset } from "../pipeline/dataset.ts";
import { decodeEvent, enrich, type EnrichedRow, enrichFields } from "../pipeline/event.ts";
import { producedEventReader } from "../pipeline/event_bytes.ts";
import type { SourceMessage } from "./buffer.ts";
import { type DeadLetter, deadLetter, type DeadLetterSource } from "./dead_letters.ts";
import { rowBytes } from "./writer.ts";
import { markSharedTail } from "../cassandra/shared_values.ts";

/** A row to write, with the message it came from (to dead-letter it if Cassandra rejects it). */
export interface PendingRow {
  values: (string | number | undefined)[];
  /** Its size in a batch, as rowBytes() estimates it. */
  bytes: number;
  source: SourceMessage;
}

/** Where a row's values hold its event time, in milliseconds (see tableColumns()). */
const TIME_VALUE = 2;

/**
 * A row's event time in milliseconds, for end-to-end latency: read from its values, so a row
 * lives with one copy of it (a number field of its own would be one more object per row).
 */
export function eventTimeOf(row: PendingRow): number {
  return row.values[TIME_VALUE] as number;
}

/** What one micro-batch produced. */
export interface BatchOutput {
  rows: PendingRow[];
  /** Dead letters by the source partition they came from (each commits with its partition). */
  deadLetters: Map<number, DeadLetter[]>;
  /** The offset to commit per partition: one past the last message of the batch. */
  next: Map<number, number>;
  events: number;
  unmatched: number;
}

/** Validates, enriches and buckets every message; bad ones become dead letters. */
export function transformBatch(
  messages: readonly SourceMessage[],
  dataset: Dataset,
  catalog: Catalog,
  source: DeadLetterSource,
): BatchOutput {
  const output: BatchOutput = {
    rows: [],
    deadLetters: new Map(),
    next: new Map(),
    events: messages.length,
    unmatched: 0,
  };
  const reader = producedEventReader(dataset);
  const attributeCount = dataset.attributes.length;
  for (const message of messages) {
    // Whatever becomes of it, the partition's next offset moves past it.
    advanceNext(output.next, message.partition, message.offset + 1);
    // The producer's own layout is read in place; anything else is decoded in full.
    const chunk = message.chunk;
    const fields = chunk === undefined
      ? undefined
      : reader.read(chunk, message.valueAt!, message.valueLength!);
    let row: EnrichedRow;
    if (fields !== undefined) {
      row = enrichFields(
        fields.person,
        fields.item,
        fields.millis,
        fields.measures,
        catalog,
        attributeCount,
      );
    } else {
      const decoded = decodeEvent(message.value, dataset);
      if (!decoded.ok) {
        addDeadLetter(
          output.deadLetters,
          message.partition,
          deadLetter(message, decoded.reason, source),
        );
        continue;
      }
      row = enrich(decoded.event, catalog, attributeCount);
    }
    const attributesFrom = row.values.length - attributeCount;
    // Every event of a title ends with its entry's values: the frame writer encodes them once.
    if (row.attributes?.length === attributeCount) markSharedTail(row.values, row.attributes);
    output.rows.push({
      values: row.values,
      bytes: rowBytes(row.values, 0, attributesFrom) +
        attributeBytes(row.values, attributesFrom, row.attributes),
      source: message,
    });
    if (!row.matched) output.unmatched++;
  }
  return output;
}

/** Moves a partition's next offset on to `offset`, unless it is already past it. */
function advanceNext(next: Map<number, number>, partition: number, offset: number): void {
  next.set(partition, Math.max(next.get(partition) ?? 0, offset));
}

/**
 * Appends the output of the messages that follow a batch's to it, as if one transform had read
 * them all: rows and dead letters in order, the later next offsets, the counts summed.
 */
export function appendOutput(output: BatchOutput, more: BatchOutput): BatchOutput {
  for (const row of more.rows) output.rows.push(row);
  for (const [partition, letters] of more.deadLetters) {
    for (const letter of letters) addDeadLetter(output.deadLetters, partition, letter);
  }
  for (const [partition, next] of more.next) advanceNext(output.next, partition, next);
  output.events += more.events;
  output.unmatched += more.unmatched;
  return output;
}

/** The estimated size of each catalog entry's attributes, counted once per entry. */
const entryBytes = new WeakMap<readonly Value[], number>();

/**
 * rowBytes() of a row's attribute values (from `from` on): the same for every event of a title,
 * and the longest texts of the row, so counted once per catalog entry.
 */
function attributeBytes(
  values: readonly unknown[],
  from: number,
  entry: readonly Value[] | undefined,
): number {
  if (entry === undefined) return rowBytes(values, from);
  let bytes = entryBytes.get(entry);
  if (bytes === undefined) entryBytes.set(entry, bytes = rowBytes(values, from));
  return bytes;
}

/** Files a dead letter under its source partition. */
export function addDeadLetter(
  byPartition: Map<number, DeadLetter[]>,
  partition: number,
  letter: DeadLetter,
): void {
  const list = byPartition.get(partition);
  if (list === undefined) byPartition.set(partition, [letter]);
  else list.push(letter);
}
