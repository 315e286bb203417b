// Names of the benchmark's registries: distinct names (the Grafana dashboard of every registry lives
// in one shared namespace, named after the registry) and one namespace each, as tenants would have.
export const REGISTRY_KIND = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry' } as const;

export function registryName(i: number): string {
  return `reg-${String(i).padStart(4, '0')}`;
}

export function registryNamespace(i: number): string {
  return `bench-${String(i).padStart(4, '0')}`;
}
