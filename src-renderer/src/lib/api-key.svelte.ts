// The API key a browser console sends to a master that asks for one; kept in this browser's local storage.
// The desktop console talks over IPC and never needs it.
const STORAGE = 'baton.apiKey';

class ApiKey {
  value = $state<string | null>(globalThis.localStorage?.getItem(STORAGE) ?? null);
  /** Set when the master refused a call for want of a valid key; the console then asks for one. */
  refusal = $state<string | null>(null);

  use(key: string): void {
    this.value = key.trim();
    this.refusal = null;
    localStorage.setItem(STORAGE, this.value);
  }
}

export const apiKey = new ApiKey();
