// The hardening suites (bad-input corpus, injected faults) run a fast, deterministic subset in
// `npm test` and every case in `npm run test:hardening` (HARDENING=full).
export const FULL = process.env.HARDENING === 'full';

/** Every case when FULL; otherwise every `stride`-th one (the same ones on every run) and all marked `always`. */
export function selectCases<T extends { always?: boolean }>(cases: readonly T[], stride: number): T[] {
  return FULL ? [...cases] : cases.filter((c, i) => c.always || i % stride === 0);
}
