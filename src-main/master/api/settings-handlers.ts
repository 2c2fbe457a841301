// Handlers of the settings.* methods (issue 8). Only the desktop app gives its master a settings file; a headless
// master takes its settings from its environment and flags, and says so.
import type { z } from 'zod';
import { BatonError } from './contract/errors';
import type { Methods } from './contract/methods';
import type { MasterContext } from '../context';
import type { SettingsPort } from '../settings/desktop-settings';

type SettingsMethod = 'settings.get' | 'settings.test' | 'settings.save';
type Handler<M extends SettingsMethod> = (input: z.infer<Methods[M]['input']>, ctx: MasterContext) => Promise<z.input<Methods[M]['output']>>;

function port(ctx: MasterContext): SettingsPort {
  if (ctx.settings) return ctx.settings;
  throw new BatonError('not_found', 'This master has no settings file: a headless master (baton-master) is set up with its BATON_* environment and flags; the Settings page edits the desktop app\'s.');
}

export const settingsHandlers: { [M in SettingsMethod]: Handler<M> } = {
  'settings.get': (_input, ctx) => port(ctx).view(),
  'settings.test': (input, ctx) => port(ctx).test(input),
  'settings.save': (input, ctx) => port(ctx).save(input),
};
