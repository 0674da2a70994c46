/** Short commit id as git shows it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** "3 s", "4 min 05 s", "1 h 02 min": how long a build or rollout took. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago" (or "in 5 min" … ahead), else the date. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.round((now - then) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  // A time ahead (an expiry, a renewal) reads "in 3 d", one behind "3 d ago".
  const span = (text: string) => (seconds < 0 ? `in ${text}` : `${text} ago`);
  const minutes = Math.round(Math.abs(seconds) / 60);
  if (minutes < 60) return span(`${minutes} min`);
  const hours = Math.round(minutes / 60);
  if (hours < 24) return span(`${hours} h`);
  const days = Math.round(hours / 24);
  if (days < 30) return span(`${days} d`);
  return new Date(then).toISOString().slice(0, 10);
}

/** Full local date and time, for `title` tooltips and `<time>`. */
export function formatAbsolute(iso: string): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? iso : new Date(then).toLocaleString();
}

/** The GitHub page of a commit, from a service's `https://github.com/o/r(.git)` repo URL. */
export function commitUrl(repoUrl: string, sha: string): string {
  return `${repoUrl.replace(/\.git$/, '')}/commit/${sha}`;
}
