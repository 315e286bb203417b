import { defaultOperatorEndpoint, operatorEndpointFromEnv } from '../lib/editor';

describe('operatorEndpointFromEnv: where config editors commit', () => {
  test('default: the quay-operator Service in POD_NAMESPACE, else in quay-operator (what `manifests` installs)', () => {
    expect(operatorEndpointFromEnv({})).toEqual({ operatorEndpoint: 'http://quay-operator.quay-operator.svc:7071', problems: [] });
    expect(operatorEndpointFromEnv({ POD_NAMESPACE: 'openshift-operators' })).toEqual({ operatorEndpoint: 'http://quay-operator.openshift-operators.svc:7071', problems: [] });
    expect(defaultOperatorEndpoint('x')).toBe('http://quay-operator.x.svc:7071');
  });

  test('QUAY_OPERATOR_ENDPOINT wins, normalized to scheme://host[:port]', () => {
    expect(operatorEndpointFromEnv({ QUAY_OPERATOR_ENDPOINT: 'https://op.example.com:8443/', POD_NAMESPACE: 'x' })).toEqual({ operatorEndpoint: 'https://op.example.com:8443', problems: [] });
  });

  test.each([
    ['not a URL', 'is not a URL, got `not a URL`'],
    ['ftp://op.example.com', 'must be an http or https URL, got `ftp://op.example.com`'],
    ['http://user:secret@op.example.com', 'must not hold credentials (the editor adds its token from a Secret)'],
    ['http://op.example.com/reconfigure', 'must be scheme://host[:port] only, got `http://op.example.com/reconfigure`'],
  ])('refuses %s', (value, message) => {
    expect(operatorEndpointFromEnv({ QUAY_OPERATOR_ENDPOINT: value })).toEqual({ problems: [{ path: 'QUAY_OPERATOR_ENDPOINT', message, reason: 'ConfigInvalid' }] });
  });
});
