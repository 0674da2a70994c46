/** The Dangus Cloud mark. */
export function Logo({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" className={className}>
      <rect width="32" height="32" rx="7" fill="var(--accent-strong)" />
      <path d="M9 22a6 6 0 0 1 1-11.9A8 8 0 0 1 25 13a5 5 0 0 1-1 9.9z" fill="#fff" />
    </svg>
  );
}
