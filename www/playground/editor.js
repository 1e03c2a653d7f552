// CodeMirror 6 editor holding the user's program.

import { EditorView, basicSetup } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { EditorSelection, Prec } from '@codemirror/state';
import { keymap } from '@codemirror/view';

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '13.5px', backgroundColor: '#ffffff' },
  '.cm-scroller': {
    fontFamily: 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
    lineHeight: '1.55',
  },
  '.cm-gutters': { backgroundColor: '#f8fafc', color: '#94a3b8', borderRight: '1px solid #e2e8f0' },
  '.cm-activeLineGutter': { backgroundColor: '#eef2ff', color: '#475569' },
  '.cm-activeLine': { backgroundColor: '#f5f7ff' },
  '&.cm-focused': { outline: 'none' },
  '.cm-content': { padding: '10px 0' },
});

/**
 * Mount the editor.
 * @param {HTMLElement} parent element to mount into
 * @param {object} opts
 * @param {string} opts.doc initial program text
 * @param {() => void} opts.onRun called for Ctrl+Enter / Cmd+Enter
 * @param {() => void} [opts.onChange] called after each edit
 * @returns {{getCode(): string, setCode(code: string): void, goToLine(line: number): void, focus(): void}}
 */
export function createEditor(parent, { doc, onRun, onChange }) {
  const runKeys = Prec.highest(keymap.of([
    { key: 'Mod-Enter', preventDefault: true, run: () => { onRun(); return true; } },
  ]));
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      runKeys,
      basicSetup,
      javascript(),
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': 'Program editor' }),
      EditorView.updateListener.of((u) => { if (u.docChanged && onChange) onChange(); }),
    ],
  });

  return {
    getCode: () => view.state.doc.toString(),
    setCode(code) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: code },
        selection: EditorSelection.cursor(0),
        scrollIntoView: true,
      });
    },
    goToLine(line) {
      const n = Math.min(Math.max(1, line), view.state.doc.lines);
      const l = view.state.doc.line(n);
      view.dispatch({ selection: EditorSelection.range(l.from, l.to), scrollIntoView: true });
      view.focus();
    },
    focus: () => view.focus(),
  };
}
