/**
 * Telling whatever applies the state repo that a commit landed, so a change reaches the
 * cluster in a fraction of a second instead of at the applier's next interval: the
 * installed applier's `POST /notify` (with its token), Flux (its GitRepository annotated
 * with `reconcile.fluxcd.io/requestedAt`, what `flux reconcile source git` does), or a
 * webhook (Flux's Receiver, or any other engine's), signed when a secret is set.
 *
 * Pokes never queue up: while one is in flight, later commits fold into one more after
 * it. A failure is logged; the engine's own interval still brings the commit.
 */
import { createHmac } from 'node:crypto';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';

export type PokeSender = () => Promise<void>;

/** One target, poked after every commit. */
export class CommitPoke {
  private inFlight = false;
  private again = false;

  constructor(
    private readonly what: string,
    private readonly send: PokeSender,
    private readonly logger: Logger,
  ) {}

  poke(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    void this.send()
      .catch((error: unknown) => {
        this.logger.warn({ err: error, target: this.what }, `could not poke ${this.what}: it applies the commit at its own interval`);
      })
      .finally(() => {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }
}

/** The installed applier's `POST /notify` (202 when accepted). */
export function applierNotify(url: string, token: string | undefined, timeoutMs = 5_000): PokeSender {
  return async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`the applier answered ${String(res.status)}`);
  };
}

/** The annotation Flux's controllers reconcile on when its value changes. */
export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

/** Flux's GitRepository `namespace/name`, annotated with the time: Flux fetches the state repo at once. */
export function fluxGitRepository(kube: KubeConfig, ref: { namespace: string; name: string }, now: () => Date = () => new Date()): PokeSender {
  const objects = KubernetesObjectApi.makeApiClient(kube);
  return async () => {
    await objects.patch(
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: ref.name, namespace: ref.namespace, annotations: { [FLUX_REQUESTED_AT]: now().toISOString() } },
      },
      undefined,
      undefined,
      'dangus-api',
      undefined,
      PatchStrategy.MergePatch,
    );
  };
}

/**
 * A webhook: `POST` of `{"source": "dangus", "event": "commit"}`; with a secret, signed
 * as Flux's `generic-hmac` Receiver checks it (`X-Signature: sha256=<hex HMAC of the body>`).
 */
export function webhook(url: string, secret: string | undefined, timeoutMs = 5_000): PokeSender {
  return async () => {
    const body = JSON.stringify({ source: 'dangus', event: 'commit' });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (secret) headers['X-Signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`the webhook answered ${String(res.status)}`);
  };
}

/** The pokes the settings ask for: the installed applier, Flux, a webhook (any, all or none). */
export function commitPokes(
  config: Pick<Config, 'applierNotify' | 'fluxGitRepository' | 'gitopsWebhook'>,
  kube: KubeConfig | undefined,
  logger: Logger,
): CommitPoke[] {
  const pokes: CommitPoke[] = [];
  if (config.applierNotify) pokes.push(new CommitPoke('the applier', applierNotify(config.applierNotify.url, config.applierNotify.token), logger));
  if (config.fluxGitRepository) {
    if (!kube) throw new Error('FLUX_GITREPOSITORY needs the cluster (KUBECONFIG or in-cluster config)');
    const ref = config.fluxGitRepository;
    pokes.push(new CommitPoke(`Flux (GitRepository ${ref.namespace}/${ref.name})`, fluxGitRepository(kube, ref), logger));
  }
  if (config.gitopsWebhook) pokes.push(new CommitPoke('the GitOps webhook', webhook(config.gitopsWebhook.url, config.gitopsWebhook.secret), logger));
  return pokes;
}
