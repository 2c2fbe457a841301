// ANSI colours in run logs (issue 8), parsed with anser into plain segments: the console renders each as a text
// node with a class, never as HTML, so output cannot inject markup.
import Anser from 'anser';

export interface LogSegment { text: string; classes: string }

const DECORATIONS = new Set(['bold', 'dim', 'italic', 'underline', 'hidden', 'strikethrough', 'reverse']);

/** The line's text in segments of one style each; escape sequences are dropped, the text is kept as it is. */
export function ansiSegments(line: string): LogSegment[] {
  // Most lines carry no escape at all: no parse for them.
  if (!line.includes('\u001b')) return [{ text: line, classes: '' }];
  return Anser.ansiToJson(line, { use_classes: true, remove_empty: true }).map((entry) => {
    const classes = [
      entry.fg ? `fg-${entry.fg}` : '', entry.bg ? `bg-${entry.bg}` : '',
      ...entry.decorations.filter((d) => DECORATIONS.has(d)).map((d) => `deco-${d}`),
    ].filter((c) => /^[a-z0-9-]+$/.test(c));
    return { text: entry.content, classes: classes.join(' ') };
  });
}

/** The line without escape sequences, for search and download. */
export function plainText(line: string): string {
  return line.includes('\u001b') ? Anser.ansiToText(line) : line;
}
