/** RFC 5798 §6.1 timers, in milliseconds, from a priority and an interval in centiseconds. */

export function skewTimeMs(priority: number, masterAdvertIntervalCs: number): number {
  return ((256 - priority) * masterAdvertIntervalCs * 10) / 256;
}

export function masterDownIntervalMs(priority: number, masterAdvertIntervalCs: number): number {
  return 3 * masterAdvertIntervalCs * 10 + skewTimeMs(priority, masterAdvertIntervalCs);
}
