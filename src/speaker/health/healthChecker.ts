import type { Logger } from '../../log.js';
import type { HealthTarget } from '../nodeState.js';
import { initialHealth, recordResult, type HealthState } from './healthState.js';
import type { ProbeResult, ProbeTarget } from './probes.js';

export interface HealthCheckerHooks {
  /** A real server crossed a threshold: the speaker recomputes its table. */
  changed(key: string, healthy: boolean): void;
  /** Every probe's outcome (metrics). */
  probed?(target: HealthTarget, result: ProbeResult): void;
}

interface Running {
  target: HealthTarget;
  /** The check as JSON: a target whose check changed is restarted. */
  config: string;
  state: HealthState;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

/**
 * Runs the health checks of the real servers the speaker sends to: one probe per target and
 * interval (the next one starts an interval after the previous started, never two at once),
 * counted against the check's thresholds.
 */
export class HealthChecker {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly probe: (target: ProbeTarget) => Promise<ProbeResult>,
    private readonly hooks: HealthCheckerHooks,
    private readonly log: Logger,
  ) {}

  /** Starts checks for new targets, restarts changed ones and stops the rest. */
  setTargets(targets: readonly HealthTarget[]): void {
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, running] of this.running) {
      const target = wanted.get(key);
      if (!target || JSON.stringify(target.check) !== running.config) this.end(key, running);
    }
    for (const target of wanted.values()) {
      if (this.running.has(target.key)) continue;
      const running: Running = { target, config: JSON.stringify(target.check), state: initialHealth, stopped: false };
      this.running.set(target.key, running);
      void this.run(running);
    }
  }

  /** The verdicts of the running checks: false for a real server that failed its threshold. */
  verdicts(): Map<string, boolean> {
    return new Map([...this.running].map(([key, running]) => [key, running.state.healthy]));
  }

  stop(): void {
    for (const [key, running] of this.running) this.end(key, running);
  }

  private end(key: string, running: Running): void {
    running.stopped = true;
    clearTimeout(running.timer);
    this.running.delete(key);
  }

  private async run(running: Running): Promise<void> {
    const { target } = running;
    const started = performance.now();
    let result: ProbeResult;
    try {
      result = await this.probe(target);
    } catch (err) {
      result = { passed: false, detail: (err as Error).message };
    }
    if (running.stopped) return;
    this.hooks.probed?.(target, result);
    const before = running.state.healthy;
    running.state = recordResult(running.state, result.passed, target.check);
    if (running.state.healthy !== before) {
      this.log.info(
        { event: 'health.changed', virtualServer: target.virtualServer, address: target.address, port: target.port, healthy: running.state.healthy, detail: result.detail },
        `${target.virtualServer} real server ${target.address}:${target.port} is ${running.state.healthy ? 'healthy' : 'failing'} (${result.detail})`,
      );
      this.hooks.changed(target.key, running.state.healthy);
    }
    const delay = Math.max(0, target.check.intervalSeconds * 1000 - (performance.now() - started));
    running.timer = setTimeout(() => void this.run(running), delay);
  }
}
