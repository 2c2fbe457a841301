// The only bridge from the console page to the master: one call that carries (method, input) and returns a Reply,
// and console events (issue 8) for the topics the page watches. Its shape is declared for the renderer in preload.d.ts.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ConsoleEvent, EventTopic, Reply } from '@contract';

contextBridge.exposeInMainWorld('baton', {
  call: (method: string, input: unknown): Promise<Reply> => ipcRenderer.invoke('baton:call', method, input),
  onEvent: (handler: (event: ConsoleEvent) => void): (() => void) => {
    const listener = (_event: IpcRendererEvent, event: ConsoleEvent) => handler(event);
    ipcRenderer.on('baton:event', listener);
    return () => void ipcRenderer.off('baton:event', listener);
  },
  watch: (topics: EventTopic[]): void => ipcRenderer.send('baton:watch', topics),
  unwatch: (topics: EventTopic[]): void => ipcRenderer.send('baton:unwatch', topics),
});
