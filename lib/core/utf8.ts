/**
 * The number of bytes UTF-8 takes for a string, as TextEncoder and Buffer.byteLength count it
 * (a lone surrogate becomes U+FFFD, three bytes), counted without encoding: this runs for every
 * cell the stream writes and every message produce sends.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A surrogate pair: two UTF-16 units, four bytes.
      bytes += 2;
      i++;
    } else {
      // The rest of the BMP, lone surrogates included (written as U+FFFD).
      bytes += 2;
    }
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
