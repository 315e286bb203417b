// plainHeaders: @kubernetes/client-node 1.4 hands the credentials over as WHATWG Headers, which an
// object spread does not copy; the in-cluster token was silently never sent.
import { plainHeaders } from '../../lib/controller/kube-client';

describe('plainHeaders', () => {
  test('copies WHATWG Headers (the Authorization of a ServiceAccount token)', () => {
    const h = new Headers({ Authorization: 'Bearer abc', 'X-Extra': '1' });
    expect({ ...h }).toEqual({}); // why the helper exists
    expect(plainHeaders(h)).toEqual({ authorization: 'Bearer abc', 'x-extra': '1' });
  });

  test('copies a plain record, joining list values and dropping undefined ones', () => {
    expect(plainHeaders({ Authorization: 'Bearer abc', Accept: ['a', 'b'], Skip: undefined })).toEqual({ Authorization: 'Bearer abc', Accept: 'a, b' });
  });

  test('nothing in, nothing out', () => {
    expect(plainHeaders(undefined)).toEqual({});
  });
});
