// A problem with the user's input. The CLI prints it as `error: <where>: <message>`; the controller
// turns it into a status condition with `reason`. Nothing that produces a Problem throws past it.

/** Condition reasons the seeds and upstream use for rejected input. */
export type ProblemReason = 'ConfigInvalid' | 'ComponentOverrideInvalid' | 'ComponentUnsupported' | 'UpgradeUnsupported';

export interface Problem {
  /** The field or file the problem is in, e.g. `spec.components[2].kind` or `config.yaml`. */
  readonly path: string;
  readonly message: string;
  readonly reason: ProblemReason;
}

export function problem(path: string, message: string, reason: ProblemReason = 'ConfigInvalid'): Problem {
  return { path, message, reason };
}

/** Thrown by the synthesizer's entry points when input is invalid; carries every problem found. */
export class InvalidInputError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly Problem[],
  ) {
    super(problems.map((p) => formatProblem(source, p)).join('\n'));
    this.name = 'InvalidInputError';
  }
}

export function formatProblem(source: string, p: Problem): string {
  const where = [source, p.path].filter((s) => s.length > 0).join(': ');
  return `error: ${where}: ${p.message}`;
}
