// What quitting does with runs in flight (issue 8: quitting mid-run left runs lost with no warning). The shell asks;
// these are the answers and what each one means, as plain data.
export type QuitChoice = 'wait' | 'stop' | 'leave' | 'cancel';

export const QUIT_BUTTONS: readonly { choice: QuitChoice; label: string }[] = [
  { choice: 'wait', label: 'Wait for them' },
  { choice: 'stop', label: 'Stop them' },
  { choice: 'leave', label: 'Leave them' },
  { choice: 'cancel', label: 'Cancel' },
];

export function choiceOf(response: number): QuitChoice {
  return QUIT_BUTTONS[response]?.choice ?? 'cancel';
}

export function quitQuestion(inFlight: number): { message: string; detail: string } {
  const runs = inFlight === 1 ? '1 run is' : `${inFlight} runs are`;
  return {
    message: `${runs} in flight. Quit Baton?`,
    detail: [
      'Wait for them: Baton quits when they have ended.',
      'Stop them: they end as cancelled, then Baton quits.',
      'Leave them: Baton quits now; runs on this machine get a few seconds to finish, runs on other workers go on, and'
        + ' any that cannot report are re-dispatched when Baton starts again.',
    ].join('\n'),
  };
}
