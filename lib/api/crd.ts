// Builds the QuayRegistry CustomResourceDefinition from the schema in ./schema.ts.
import { GROUP, KIND, PLURAL, VERSION } from './types';
import { quayRegistrySchema } from './schema';

export function quayRegistryCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: KIND.toLowerCase(),
        shortNames: ['quay', 'qr'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Version', type: 'string', jsonPath: '.status.currentVersion', description: 'Quay version running after migrations' },
            {
              name: 'Available',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Available")].status',
              description: 'Whether every component is healthy',
            },
            { name: 'Endpoint', type: 'string', jsonPath: '.status.registryEndpoint', description: 'Registry URL' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: quayRegistrySchema },
        },
      ],
    },
  };
}
