// Names, labels and annotations every rendered object carries. Object names are `<registry>-<suffix>`
// as in the seeds; labels let users' scripts (and the controller's pruning) find each component.
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { LABEL_COMPONENT, LABEL_REGISTRY, Overrides } from '../../lib/api/types';
import type { RegistryModel } from '../../lib/model';

export function nameFor(model: RegistryModel, suffix: string): string {
  return `${model.name}-${suffix}`;
}

/** The labels pods are selected by: never changed by overrides. */
export function selectorLabels(model: RegistryModel, component: string): Record<string, string> {
  return { [LABEL_COMPONENT]: component, [LABEL_REGISTRY]: model.name };
}

export interface MetadataOptions {
  /** The `quay-component` label value. */
  readonly component: string;
  /** The component's overrides; their labels and annotations are added. */
  readonly overrides?: Overrides;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** For objects outside the registry's namespace (the Grafana dashboard). */
  readonly namespace?: string;
}

export function metadataFor(model: RegistryModel, name: string, options: MetadataOptions): k8s.ObjectMeta {
  const annotations = { ...options.overrides?.annotations, ...options.annotations };
  return {
    name,
    namespace: options.namespace ?? model.namespace,
    labels: { ...options.overrides?.labels, ...options.labels, ...selectorLabels(model, options.component) },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** A pod template's metadata: the selector labels (overrides cannot change them) and the override labels and annotations. */
export function podTemplateMetadata(selector: Record<string, string>, overrides: Overrides | undefined, annotations: Record<string, string> = {}): k8s.ObjectMeta {
  const all = { ...overrides?.annotations, ...annotations };
  return { labels: { ...overrides?.labels, ...selector }, ...(Object.keys(all).length > 0 ? { annotations: all } : {}) };
}
