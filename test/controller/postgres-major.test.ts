import { postgresMajor } from '../../lib/controller/postgres-upgrade';

test.each([
  ['quay.io/sclorg/postgresql-13-c9s:latest', 13],
  ['centos/postgresql-10-centos7', 10],
  ['docker.io/centos/postgresql-10-centos7:latest', 10],
  [`registry.redhat.io/rhel8/postgresql-15@sha256:${'a'.repeat(64)}`, 15],
  ['mirror.example.com:5000/sclorg/postgresql-16-c10s:20260101', 16],
  ['postgres:15', undefined],
  [undefined, undefined],
])('postgresMajor(%s) = %s', (image, major) => expect(postgresMajor(image)).toBe(major));
