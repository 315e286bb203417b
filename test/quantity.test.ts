import { parseQuantity } from '../lib/quantity';

describe('parseQuantity', () => {
  test.each([
    ['50Gi', 50 * 2 ** 30],
    ['100Gi', 100 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['500m', 0.5],
    ['2', 2],
    ['1e3', 1000],
    ['1.5G', 1.5e9],
    [3, 3],
  ])('%s', (q, value) => expect(parseQuantity(q)).toBeCloseTo(value));

  test('garbage is NaN', () => {
    expect(parseQuantity('fifty gigs')).toBeNaN();
    expect(parseQuantity('50GB')).toBeNaN();
  });
});
