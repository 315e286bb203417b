// Starting bench/fake-server-main in a child process, and a kubeconfig pointing at it.
import * as path from 'node:path';
import { SimpleConnection } from '../lib/controller/kube-config';
import { Child } from './ipc';

export interface FakeServer {
  readonly child: Child;
  readonly url: string;
  /** A bearer token the fake takes for a cluster administrator. */
  readonly token: string;
}

export async function startFakeServer(execArgv: string[] = []): Promise<FakeServer> {
  const child = Child.fork(path.join(__dirname, 'fake-server-main.js'), [], { execArgv });
  const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.proc.on('message', (m: { ready?: boolean; url?: string; token?: string }) => {
      if (m?.ready && m.url && m.token) resolve({ url: m.url, token: m.token });
    });
    void child.whenExited().then((code) => reject(new Error(`fake API server exited (code ${code}): ${child.stderr.join('').slice(-2000)}`)));
  });
  return { child, url, token };
}

/** The connection the operator binary makes from kubeConfigYaml (client-node is not loaded: the controller's memory is measured). */
export function kubeConfigFor(url: string, token: string): SimpleConnection {
  return new SimpleConnection({ server: url, token });
}

/** The same kubeconfig as a file's YAML, for the operator binary's --kubeconfig. */
export function kubeConfigYaml(url: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    // client-node refuses plain http unless TLS verification is off (the fake serves http).
    `- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
    'users:',
    `- name: fake\n  user:\n    token: ${token}`,
    'contexts:',
    '- name: fake\n  context:\n    cluster: fake\n    user: fake',
    'current-context: fake',
    '',
  ].join('\n');
}
