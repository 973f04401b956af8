/**
 * Dead letters: a rejected message, its original bytes, and headers saying why and where from.
 * They are sized to what the broker accepts: sends are split into requests under the DLQ topic's
 * `max.message.bytes`, and a single letter too large on its own is cut to fit and marked so.
 */
import type { SourceMessage } from "./buffer.ts";
import { utf8Length } from "../core/utf8.ts";

/** A message for the dead-letter topic. */
export interface DeadLetter {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, string>;
}

/** Where a dead letter came from and who rejected it. */
export interface DeadLetterSource {
  topic: string;
  group: string;
}

/** The longest reason kept in a header; the rest is cut with an ellipsis. */
const MAX_REASON_CHARS = 2_000;

/** A dead letter for `message`, with the reason and its source in headers. */
export function deadLetter(
  message: SourceMessage,
  reason: string,
  source: DeadLetterSource,
): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined || Array.isArray(value)) continue;
    headers[name] = typeof value === "string" ? value : new TextDecoder().decode(value);
  }
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...headers,
      "dlq.reason": reason.length > MAX_REASON_CHARS
        ? `${reason.slice(0, MAX_REASON_CHARS)}...`
        : reason,
      "dlq.source.topic": source.topic,
      "dlq.source.partition": String(message.partition),
      "dlq.source.offset": String(message.offset),
      "dlq.source.timestamp": message.timestamp,
      "dlq.group": source.group,
    },
  };
}

// Kafka's record format v2: a batch header of 61 bytes; per record up to 21 bytes of varints
// and attributes, and per header two length varints. Rounded up for safety.
const BATCH_OVERHEAD = 61;
const RECORD_OVERHEAD = 24;
const HEADER_OVERHEAD = 6;
/** Room kept free under the limit, for what the estimate does not see. */
const SAFETY_MARGIN = 512;

/** An upper estimate of a letter's size inside a record batch, in bytes. */
export function recordBytes(letter: DeadLetter): number {
  let size = RECORD_OVERHEAD + (letter.key?.length ?? 0) + (letter.value?.length ?? 0);
  for (const [name, value] of Object.entries(letter.headers)) {
    size += HEADER_OVERHEAD + utf8Length(name) + utf8Length(value);
  }
  return size;
}

/**
 * The letter as the broker will take it under `maxMessageBytes`: unchanged when it fits, else
 * with its value cut and headers `dlq.truncated` and `dlq.original.bytes` added. A letter whose
 * headers alone do not fit loses its value entirely (the source offset still points at it).
 */
export function fitDeadLetter(letter: DeadLetter, maxMessageBytes: number): DeadLetter {
  const room = maxMessageBytes - BATCH_OVERHEAD - SAFETY_MARGIN;
  if (recordBytes(letter) <= room) return letter;
  const originalBytes = letter.value?.length ?? 0;
  const marked: DeadLetter = {
    ...letter,
    headers: {
      ...letter.headers,
      "dlq.truncated": "true",
      "dlq.original.bytes": String(originalBytes),
    },
  };
  const withoutValue = recordBytes({ ...marked, value: null });
  const keep = Math.max(0, Math.min(originalBytes, room - withoutValue));
  return { ...marked, value: letter.value === null ? null : letter.value.subarray(0, keep) };
}

/**
 * Splits letters into sends that each stay under `maxMessageBytes`, in order. Each letter must
 * already fit on its own (fitDeadLetter).
 */
export function chunkDeadLetters(
  letters: readonly DeadLetter[],
  maxMessageBytes: number,
): DeadLetter[][] {
  const room = maxMessageBytes - BATCH_OVERHEAD - SAFETY_MARGIN;
  const chunks: DeadLetter[][] = [];
  let chunk: DeadLetter[] = [];
  let size = 0;
  for (const letter of letters) {
    const bytes = recordBytes(letter);
    if (chunk.length > 0 && size + bytes > room) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(letter);
    size += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
