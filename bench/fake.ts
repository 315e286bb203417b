// Starting bench/fake-server-main in a child process, and a kubeconfig pointing at it.
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Child } from './ipc';

export interface FakeServer {
  readonly child: Child;
  readonly url: string;
}

export async function startFakeServer(execArgv: string[] = []): Promise<FakeServer> {
  const child = Child.fork(path.join(__dirname, 'fake-server-main.js'), [], { execArgv });
  const url = await new Promise<string>((resolve, reject) => {
    child.proc.on('message', (m: { ready?: boolean; url?: string }) => {
      if (m?.ready && m.url) resolve(m.url);
    });
    void child.whenExited().then((code) => reject(new Error(`fake API server exited (code ${code}): ${child.stderr.join('').slice(-2000)}`)));
  });
  return { child, url };
}

export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'fake', token: 'fake-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return kc;
}

/** The same kubeconfig as a file's YAML, for the operator binary's --kubeconfig. */
export function kubeConfigYaml(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    // client-node refuses plain http unless TLS verification is off (the fake serves http).
    `- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
    'users:',
    '- name: fake\n  user:\n    token: fake-token',
    'contexts:',
    '- name: fake\n  context:\n    cluster: fake\n    user: fake',
    'current-context: fake',
    '',
  ].join('\n');
}
