'use client';
// `?` anywhere (outside a text field) opens the list of keyboard shortcuts; Escape or the button closes it. A modal
// dialog (the native <dialog>), so focus stays inside while it is open and returns where it was.
import { useEffect, useRef } from 'react';

/** Every shortcut the dashboard answers, where it works, and what it does. */
export const SHORTCUTS: { keys: string[]; where: string; does: string }[] = [
  { keys: ['Ctrl', 'K'], where: 'anywhere', does: 'search runs, projects and findings (⌘K on a Mac)' },
  { keys: ['?'], where: 'anywhere', does: 'show these shortcuts' },
  { keys: ['j', '↓'], where: 'runs table', does: 'move to the next run' },
  { keys: ['k', '↑'], where: 'runs table', does: 'move to the previous run' },
  { keys: ['x', 'Space'], where: 'runs table', does: 'select or unselect the run' },
  { keys: ['o', 'Enter'], where: 'runs table', does: 'open the run' },
  { keys: ['c'], where: 'runs table', does: 'compare the selected runs' },
  { keys: ['Tab'], where: 'anywhere', does: 'move between controls; every action has one' },
];

/** Whether a key press belongs to a text field (shortcuts must not steal typing). */
export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function ShortcutsHelp() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== '?' || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
      event.preventDefault();
      if (!dialog.current?.open) dialog.current?.showModal();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <dialog ref={dialog} className="shortcuts" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table className="plain small">
        <thead>
          <tr>
            <th scope="col">keys</th>
            <th scope="col">where</th>
            <th scope="col">does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((shortcut) => (
            <tr key={shortcut.does}>
              <td>
                {shortcut.keys.map((key, i) => (
                  <span key={key}>
                    {i > 0 && (shortcut.keys[0] === 'Ctrl' ? ' + ' : ' or ')}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
              <td>{shortcut.where}</td>
              <td>{shortcut.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}
