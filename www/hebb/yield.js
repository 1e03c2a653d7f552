// Giving the browser its turns while fit() trains: between slices of engine work, a
// message-channel task (not clamped the way nested timers are) and, every 50 ms, a timer, so
// that timers, input and rendering all get their turn. Node (tests, scripts) uses setImmediate.

const nodeYield = typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r)) : null;
const channel = !nodeYield && typeof MessageChannel !== 'undefined' ? new MessageChannel() : null;
const waiting = [];
if (channel) channel.port1.onmessage = () => waiting.shift()?.();

let lastTimerYield = 0;

/** Gives the browser a turn. */
export function yieldToBrowser() {
  const now = performance.now();
  if (nodeYield && now - lastTimerYield <= 50) return nodeYield();
  if (!channel || now - lastTimerYield > 50) {
    lastTimerYield = now;
    return new Promise((r) => setTimeout(r, 0));
  }
  return new Promise((r) => {
    waiting.push(r);
    channel.port2.postMessage(0);
  });
}
