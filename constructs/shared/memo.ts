// Values derived from a model, computed once per model rather than once per caller: a render asks
// for the same derived values from several constructs (every pod mounting Quay's config needs the
// config Secret's content-hashed name). Models are immutable and a new one is built for every
// render, so a cache keyed by the model object is never stale and goes away with the model.
import type { RegistryModel } from '../../lib/model';

export function perModel<T>(derive: (model: RegistryModel) => T): (model: RegistryModel) => T {
  const cache = new WeakMap<RegistryModel, T>();
  return (model) => {
    if (!cache.has(model)) cache.set(model, derive(model));
    return cache.get(model) as T;
  };
}
