/**
 * Consecutive-result thresholds of one real server's health check (as keepalived and
 * Kubernetes probes count them). Pure.
 */

export interface Thresholds {
  /** Consecutive passes that bring a failing real server back. */
  healthyThreshold: number;
  /** Consecutive failures that take a passing real server out. */
  unhealthyThreshold: number;
}

export interface HealthState {
  healthy: boolean;
  /** The current run of equal results. */
  passes: number;
  failures: number;
}

/**
 * A real server starts as passing: the EndpointSlice already says it is ready, and a speaker
 * that restarts (or becomes master) must not take every real server out until a first round
 * of checks has run.
 */
export const initialHealth: HealthState = { healthy: true, passes: 0, failures: 0 };

export function recordResult(state: HealthState, passed: boolean, thresholds: Thresholds): HealthState {
  if (passed) {
    const passes = state.passes + 1;
    return { healthy: state.healthy || passes >= thresholds.healthyThreshold, passes, failures: 0 };
  }
  const failures = state.failures + 1;
  return { healthy: state.healthy && failures < thresholds.unhealthyThreshold, passes: 0, failures };
}
