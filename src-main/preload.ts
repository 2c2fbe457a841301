// The only bridge from the console page to the master: one call that carries (method, input) and returns a Reply.
// Its shape is declared for the renderer in preload.d.ts.
import { contextBridge, ipcRenderer } from 'electron';
import type { Reply } from '@contract';

contextBridge.exposeInMainWorld('baton', {
  call: (method: string, input: unknown): Promise<Reply> => ipcRenderer.invoke('baton:call', method, input),
});
