// Counts the corpus's verdicts per suite, for the `N passed, M failed` lines the run prints.
export class Tally {
  private readonly results = new Map<string, Map<string, boolean>>();

  record(suite: string, id: string, ok: boolean): void {
    if (!this.results.has(suite)) this.results.set(suite, new Map());
    this.results.get(suite)!.set(id, ok);
  }

  /** Runs `check`, records whether it threw, and rethrows (so Jest reports the case too). */
  async run(suite: string, id: string, check: () => Promise<void> | void): Promise<void> {
    try {
      await check();
      this.record(suite, id, true);
    } catch (err) {
      this.record(suite, id, false);
      throw err;
    }
  }

  summary(): string {
    const lines: string[] = [];
    let passed = 0;
    let failed = 0;
    for (const [suite, cases] of this.results) {
      const p = [...cases.values()].filter(Boolean).length;
      const f = cases.size - p;
      passed += p;
      failed += f;
      const failedIds = [...cases].filter(([, ok]) => !ok).map(([id]) => id);
      lines.push(`bad-input corpus, ${suite}: ${p} passed, ${f} failed${failedIds.length ? ` (${failedIds.slice(0, 20).join(', ')}${failedIds.length > 20 ? ', ...' : ''})` : ''}`);
    }
    lines.push(`bad-input corpus, total: ${passed} passed, ${failed} failed`);
    return lines.join('\n');
  }
}
