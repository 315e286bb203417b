// The whole bad-input corpus: hand-written files (../corpus/) and generated families.
import { bundleFamily } from './bundle-cases';
import { CorpusCase, checked } from './case';
import { handwrittenCases } from './handwritten';
import { specFamily } from './spec-cases';
import { yamlCases } from './yaml-cases';

export function allCases(): CorpusCase[] {
  return checked([...handwrittenCases(), ...yamlCases, ...specFamily, ...bundleFamily]);
}
