import type { components } from '@octokit/openapi-types';
import express, { type Request, type Response, type Router } from 'express';

type Schemas = components['schemas'];
type Permissions = Record<string, 'read' | 'write'>;

/** What an installation token may do: its repositories (`owner/name`) and permissions; `undefined`: no such live token. */
export type TokenScope = (token: string) => { repositories: string[]; permissions: Permissions } | undefined;

export interface FakeCheckRun {
  id: number;
  repo: string;
  headSha: string;
  name: string;
  externalId: string | null;
  detailsUrl: string | null;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string } | null;
  /** Every state it went through, in order (`queued`, `in_progress`, `completed:success`…). */
  history: string[];
  /** When each state of `history` arrived (`performance.now()`, ms). */
  historyAt: number[];
}

export interface FakeDeployment {
  id: number;
  repo: string;
  ref: string;
  environment: string;
  payload: unknown;
  statuses: { state: string; environmentUrl: string | null; logUrl: string | null; description: string }[];
}

/**
 * Check Runs and Deployments of the fake GitHub, in the shapes of GitHub's REST API (typed
 * from @octokit/openapi-types), for the App's installation tokens: `checks: write` and
 * `deployments: write` on a repository of the token, else GitHub's 403 ("Resource not
 * accessible by integration") or 404. What it received is recorded, for a test to assert the
 * sequence; `failNext` makes the next requests fail as GitHub does (rate limits, 5xx).
 */
export class FakeGitHubReports {
  readonly checkRuns: FakeCheckRun[] = [];
  readonly deployments: FakeDeployment[] = [];
  /** Every request received (method, path, the status answered), in order. */
  readonly requests: { method: string; path: string; status: number; at: number }[] = [];
  /** Answers to give the next requests instead (a status, headers such as x-ratelimit-reset), first first. */
  readonly failNext: { status: number; headers?: Record<string, string>; message?: string }[] = [];
  private nextId = 7_000_000;

  constructor(
    private readonly scopeOf: TokenScope,
    private readonly url: () => string,
  ) {}

  router(): Router {
    const r = express.Router();
    r.post('/repos/:owner/:repo/check-runs', (req, res) => {
      const repo = this.authorize(req, res, 'checks');
      if (!repo) return;
      const body = req.body as Record<string, unknown>;
      if (typeof body.name !== 'string' || typeof body.head_sha !== 'string' || !/^[0-9a-f]{40}$/.test(body.head_sha)) {
        this.answer(req, res, 422, { message: 'Invalid request.', errors: ['name and head_sha are required'] });
        return;
      }
      const run: FakeCheckRun = {
        id: (this.nextId += 1),
        repo,
        headSha: body.head_sha,
        name: body.name,
        externalId: typeof body.external_id === 'string' ? body.external_id : null,
        detailsUrl: typeof body.details_url === 'string' ? body.details_url : null,
        status: 'queued',
        conclusion: null,
        output: null,
        history: [],
        historyAt: [],
      };
      const problem = this.apply(run, body);
      if (problem) {
        this.answer(req, res, 422, { message: problem });
        return;
      }
      this.checkRuns.push(run);
      this.answer(req, res, 201, this.checkRunBody(run));
    });

    r.patch('/repos/:owner/:repo/check-runs/:id', (req, res) => {
      const repo = this.authorize(req, res, 'checks');
      if (!repo) return;
      const run = this.checkRuns.find((c) => c.id === Number(req.params.id) && c.repo === repo);
      if (!run) {
        this.answer(req, res, 404, { message: 'Not Found' });
        return;
      }
      const problem = this.apply(run, req.body as Record<string, unknown>);
      if (problem) this.answer(req, res, 422, { message: problem });
      else this.answer(req, res, 200, this.checkRunBody(run));
    });

    r.post('/repos/:owner/:repo/deployments', (req, res) => {
      const repo = this.authorize(req, res, 'deployments');
      if (!repo) return;
      const body = req.body as Record<string, unknown>;
      if (typeof body.ref !== 'string') {
        this.answer(req, res, 422, { message: 'Invalid request.', errors: ['ref is required'] });
        return;
      }
      const deployment: FakeDeployment = {
        id: (this.nextId += 1),
        repo,
        ref: body.ref,
        environment: typeof body.environment === 'string' ? body.environment : 'production',
        payload: body.payload ?? {},
        statuses: [],
      };
      this.deployments.push(deployment);
      this.answer(req, res, 201, this.deploymentBody(deployment));
    });

    r.post('/repos/:owner/:repo/deployments/:id/statuses', (req, res) => {
      const repo = this.authorize(req, res, 'deployments');
      if (!repo) return;
      const deployment = this.deployments.find((d) => d.id === Number(req.params.id) && d.repo === repo);
      const body = req.body as Record<string, unknown>;
      if (!deployment) {
        this.answer(req, res, 404, { message: 'Not Found' });
        return;
      }
      const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
      if (typeof body.state !== 'string' || !states.includes(body.state)) {
        this.answer(req, res, 422, { message: 'Validation Failed', errors: [{ field: 'state', code: 'invalid' }] });
        return;
      }
      const status = {
        state: body.state,
        environmentUrl: typeof body.environment_url === 'string' ? body.environment_url : null,
        logUrl: typeof body.log_url === 'string' ? body.log_url : null,
        description: typeof body.description === 'string' ? body.description : '',
      };
      deployment.statuses.push(status);
      const answer: Pick<Schemas['deployment-status'], 'id' | 'state' | 'description' | 'environment_url' | 'log_url' | 'deployment_url' | 'url'> = {
        id: (this.nextId += 1),
        state: status.state as Schemas['deployment-status']['state'],
        description: status.description,
        environment_url: status.environmentUrl ?? '',
        log_url: status.logUrl ?? '',
        deployment_url: `${this.url()}/repos/${repo}/deployments/${String(deployment.id)}`,
        url: `${this.url()}/repos/${repo}/deployments/${String(deployment.id)}/statuses`,
      };
      this.answer(req, res, 201, answer);
    });
    return r;
  }

  /** The check runs of a commit, as the test reads them. */
  checkRunsOf(sha: string): FakeCheckRun[] {
    return this.checkRuns.filter((c) => c.headSha === sha);
  }

  /** Applies a create or update body as GitHub does; GitHub's message when it refuses it. */
  private apply(run: FakeCheckRun, body: Record<string, unknown>): string | null {
    const status = typeof body.status === 'string' ? body.status : body.conclusion !== undefined ? 'completed' : run.status;
    if (!['queued', 'in_progress', 'completed'].includes(status)) return `Invalid status ${status}`;
    const conclusions = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];
    const conclusion = typeof body.conclusion === 'string' ? body.conclusion : null;
    if (status === 'completed' && (conclusion === null || !conclusions.includes(conclusion))) return 'Conclusion is required when status is completed';
    const output = body.output as FakeCheckRun['output'] | undefined;
    if (output && (typeof output.title !== 'string' || typeof output.summary !== 'string')) return 'Output requires a title and a summary';
    if (output && (output.summary?.length ?? 0) > 65_535) return 'Output summary is too long';
    run.status = status;
    run.conclusion = status === 'completed' ? conclusion : null;
    if (output) run.output = output;
    if (typeof body.details_url === 'string') run.detailsUrl = body.details_url;
    run.history.push(status === 'completed' ? `completed:${String(conclusion)}` : status);
    run.historyAt.push(performance.now());
    return null;
  }

  /** The token's repository when it may write `permission` there; else answers as GitHub does. */
  private authorize(req: Request, res: Response, permission: 'checks' | 'deployments'): string | undefined {
    const failure = this.failNext.shift();
    if (failure) {
      res.set(failure.headers ?? {});
      this.answer(req, res, failure.status, { message: failure.message ?? 'Server Error' });
      return undefined;
    }
    const token = (req.get('authorization') ?? '').replace(/^(token|bearer) /i, '');
    const scope = this.scopeOf(token);
    const params = req.params as Record<string, string | undefined>;
    const repo = `${params.owner ?? ''}/${params.repo ?? ''}`;
    if (!scope) {
      this.answer(req, res, 401, { message: 'Bad credentials' });
      return undefined;
    }
    if (!scope.repositories.some((r) => r.toLowerCase() === repo.toLowerCase())) {
      this.answer(req, res, 404, { message: 'Not Found' });
      return undefined;
    }
    if (scope.permissions[permission] !== 'write') {
      this.answer(req, res, 403, { message: 'Resource not accessible by integration' });
      return undefined;
    }
    return repo;
  }

  private answer(req: Request, res: Response, status: number, body: unknown): void {
    this.requests.push({ method: req.method, path: req.path, status, at: Date.now() });
    res.status(status).json(body);
  }

  private checkRunBody(run: FakeCheckRun): Pick<Schemas['check-run'], 'id' | 'head_sha' | 'name' | 'status' | 'conclusion' | 'external_id' | 'details_url' | 'url' | 'html_url'> {
    return {
      id: run.id,
      head_sha: run.headSha,
      name: run.name,
      status: run.status as Schemas['check-run']['status'],
      conclusion: run.conclusion as Schemas['check-run']['conclusion'],
      external_id: run.externalId,
      details_url: run.detailsUrl,
      url: `${this.url()}/repos/${run.repo}/check-runs/${String(run.id)}`,
      html_url: `${this.url()}/${run.repo}/runs/${String(run.id)}`,
    };
  }

  private deploymentBody(deployment: FakeDeployment): Pick<Schemas['deployment'], 'id' | 'ref' | 'sha' | 'environment' | 'url' | 'statuses_url' | 'task' | 'payload'> {
    return {
      id: deployment.id,
      ref: deployment.ref,
      sha: deployment.ref,
      environment: deployment.environment,
      task: 'deploy',
      payload: deployment.payload as Schemas['deployment']['payload'],
      url: `${this.url()}/repos/${deployment.repo}/deployments/${String(deployment.id)}`,
      statuses_url: `${this.url()}/repos/${deployment.repo}/deployments/${String(deployment.id)}/statuses`,
    };
  }
}
