// The tooltip of a cut-off name: hovering text that ends in an ellipsis (.truncate, a table's bold name) shows it
// whole. One listener for the console, so no page has to add titles to its cells.
const CUT = '.truncate, td strong';

export function installOverflowTitles(doc: Document): () => void {
  const onOver = (event: MouseEvent): void => {
    const el = (event.target as Element | null)?.closest?.(CUT) as HTMLElement | null;
    if (!el || el.hasAttribute('title')) return;
    if (el.scrollWidth > el.clientWidth) el.title = el.textContent?.trim() ?? '';
  };
  doc.addEventListener('mouseover', onOver);
  return () => doc.removeEventListener('mouseover', onOver);
}
