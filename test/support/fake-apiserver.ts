// The fake Kubernetes API server for tests and the benchmark; it lives in ./apiserver/ (one file per
// concern: store, writes, server-side apply, validation, watches, auth). This path is kept so tests
// and the benchmark import it from one place.
export { FakeApiServer } from './apiserver/server';
export type { FakeApiServerOptions, RecordedRequest, FailMatch, AdHocType } from './apiserver/server';
export { StatusError } from './apiserver/errors';
export { serviceAccountUser, ADMIN } from './apiserver/auth';
