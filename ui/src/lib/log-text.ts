/** Distance in px from the bottom within which the log still counts as "at the end". */
export const STICK_THRESHOLD_PX = 24;

/**
 * Whether a scroll container is (nearly) scrolled to its end: auto-scroll
 * follows new lines only then, so it stops as soon as the user scrolls up.
 */
export function isNearBottom(
  el: { scrollTop: number; scrollHeight: number; clientHeight: number },
  threshold: number = STICK_THRESHOLD_PX,
): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= threshold;
}

// ESC [ … final byte (CSI: colours, cursor moves) and ESC ] … BEL (OSC: titles, links).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Build output without terminal escape codes (Kaniko and npm colour their output). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Appends a streamed `log` event to the text so far. Each event is one or
 * more whole lines, so each is ended with a newline.
 */
export function appendLogChunk(text: string, chunk: string): string {
  const clean = stripAnsi(chunk).replace(/\r\n/g, '\n');
  return text + (clean.endsWith('\n') ? clean : `${clean}\n`);
}
