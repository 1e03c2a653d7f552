// Console panel: shows console.* output and uncaught errors of the user's
// program. Everything is inserted as text (never HTML): program output is
// untrusted.

const MAX_ENTRIES = 2000;

/**
 * Create the console panel.
 * @param {HTMLElement} el scrollable container for entries
 * @param {object} [opts]
 * @param {(line: number) => void} [opts.onLineClick] jump to a line of the program
 * @returns {{clear(): void, log(level: string, text: string): void,
 *   error(message: string, line?: number, stack?: string): void, text(): string}}
 */
export function createConsole(el, { onLineClick } = {}) {
  let lines = [];
  let queue = []; // nodes waiting for the next frame (one layout per frame)
  let frame = 0;

  function flush() {
    frame = 0;
    const stick = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
    el.append(...queue.slice(-MAX_ENTRIES));
    queue = [];
    let extra = el.childElementCount - MAX_ENTRIES;
    while (extra-- > 0) el.firstElementChild.remove();
    if (stick) el.scrollTop = el.scrollHeight;
  }

  function append(node, plain) {
    queue.push(node);
    lines.push(plain);
    if (lines.length > MAX_ENTRIES * 1.5) lines = lines.slice(-MAX_ENTRIES);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function entry(level) {
    const div = document.createElement('div');
    div.className = `entry ${level}`;
    return div;
  }

  return {
    clear() {
      cancelAnimationFrame(frame);
      frame = 0;
      queue = [];
      el.replaceChildren();
      lines = [];
    },
    /** Append console output; level is log, info, warn or error. */
    log(level, text) {
      const div = entry(level);
      div.textContent = text;
      append(div, level === 'log' || level === 'info' ? text : `[${level}] ${text}`);
    },
    /** Append an uncaught error, with a link to its line in the program. */
    error(message, line = 0, stack = '') {
      const div = entry('error uncaught');
      const head = document.createElement('div');
      head.className = 'message';
      head.textContent = message;
      div.append(head);
      if (line > 0) {
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'line-link';
        link.textContent = `line ${line}`;
        link.title = 'Show this line in the editor';
        link.addEventListener('click', () => onLineClick && onLineClick(line));
        head.append(' ', link);
      }
      const frames = String(stack || '').split('\n').slice(1).map((s) => s.trim()).filter(Boolean);
      if (frames.length) {
        const details = document.createElement('details');
        const summary = document.createElement('summary');
        summary.textContent = 'stack';
        const pre = document.createElement('pre');
        pre.textContent = frames.join('\n');
        details.append(summary, pre);
        div.append(details);
      }
      append(div, `[error] ${message}${line > 0 ? ` (line ${line})` : ''}`);
    },
    text: () => lines.slice(-MAX_ENTRIES).join('\n'),
  };
}
