// The managed `route` component: how Quay is reached from outside, by the exposure the model chose
// (lib/api/exposure.ts): OpenShift Routes, Ingresses, or Gateway API routes.
import { Construct } from 'constructs';
import { GatewayRoutes } from './gateway-routes';
import { Ingresses } from './ingress';
import { Routes } from './route';
import type { ComponentProps } from './shared/component';

export class Exposure extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const type = props.model.exposure?.type;
    if (type === 'Ingress') new Ingresses(this, 'ingress', props);
    else if (type === 'Gateway') new GatewayRoutes(this, 'gateway', props);
    else new Routes(this, 'routes', props);
  }
}
