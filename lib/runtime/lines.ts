/**
 * Reading a byte stream line by line — a child process's output, a socket's replies.
 *
 * @module
 */

/**
 * The lines of a UTF-8 stream as they arrive, each without its "\n" (the last one also when the
 * stream ends without a newline).
 *
 * @example
 * ```ts
 * for await (const line of readLines(child.stdout)) console.log(line);
 * ```
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered) yield buffered;
}
