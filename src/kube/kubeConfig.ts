import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * client-node 1.x gives every API request a new Agent: each call then opens its own TLS
 * connection and parses the CA again, which was most of the controller's CPU with 5000
 * Services. Requests share one keep-alive agent per distinct set of TLS options instead, so
 * rotated credentials still get an agent of their own. Proxy agents are left as they come.
 */
class KeepAliveKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, http.Agent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (fresh?.constructor !== https.Agent && fresh?.constructor !== http.Agent) return;
    // http.Agent has the same runtime `options` as https.Agent; only its typings lack it.
    const options = (fresh as http.Agent & { options: https.AgentOptions }).options;
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
    const id = createHash('sha256')
      .update(JSON.stringify([fresh.constructor === https.Agent, String(ca), String(cert), String(key), String(pfx), passphrase, rejectUnauthorized, servername]))
      .digest('hex');
    let shared = this.agents.get(id);
    if (!shared) {
      shared = fresh.constructor === https.Agent ? new https.Agent({ ...options, keepAlive: true }) : new http.Agent({ ...options, keepAlive: true });
      this.agents.set(id, shared);
    }
    context.setAgent(shared);
  }
}

/** An explicit kubeconfig file wins; otherwise $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KeepAliveKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}
