/**
 * A bounded table of promised answers: the first caller computes, later
 * callers share the promise. Past `maxEntries` it starts afresh rather than
 * growing without end. A failed computation is forgotten, so a refusal
 * (EACCES, a passing I/O error) is asked again instead of remembered as a
 * fact.
 */
export class PromiseMemo<T> {
  private readonly table = new Map<string, Promise<T>>();
  /** The answers that have arrived, for callers that can go on without an await (see `settled`). */
  private readonly answers = new Map<string, T>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.table.get(key);
    if (hit !== undefined) return hit;
    if (this.table.size >= this.maxEntries) {
      this.table.clear();
      this.answers.clear();
    }
    const answer = compute();
    this.table.set(key, answer);
    answer.then(
      (value) => {
        // Not when the table started afresh meanwhile, or forgot a failure: what `settled` gives is what `get` would.
        if (this.table.get(key) === answer) this.answers.set(key, value);
      },
      () => this.table.delete(key),
    );
    return answer;
  }

  /**
   * The answer for `key` when one has arrived, else undefined (then `get`
   * it): a loop over a scan's thousands of cached answers awaited each one,
   * a turn of the microtask queue apiece.
   */
  settled(key: string): T | undefined {
    return this.answers.get(key);
  }
}
