/**
 * A bounded table of promised answers: the first caller computes, later
 * callers share the promise. Past `maxEntries` it starts afresh rather than
 * growing without end. A failed computation is forgotten, so a refusal
 * (EACCES, a passing I/O error) is asked again instead of remembered as a
 * fact.
 */
export class PromiseMemo<T> {
  private readonly table = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.table.get(key);
    if (hit !== undefined) return hit;
    if (this.table.size >= this.maxEntries) this.table.clear();
    const answer = compute();
    this.table.set(key, answer);
    answer.catch(() => this.table.delete(key));
    return answer;
  }
}
