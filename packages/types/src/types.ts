/** Options for {@link ToteError}. */
export interface ToteErrorOptions {
  /** One sentence that tells the user what to do about it. */
  hint?: string
  /** The error underneath, kept for `--verbose` and for tools. */
  cause?: unknown
  /** Structured facts about the failure (a URL, a package name, tries), for tools and tests. */
  details?: Record<string, unknown>
}
