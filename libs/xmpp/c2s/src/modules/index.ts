// The one place c2s stream features are registered. Order matters: earlier
// modules advertise first and win dispatch for the same element.
import type { C2sModule } from '../types';
import { bind } from './bind';
import { caps } from './caps';
import { channelBinding } from './channel-binding';
import { established } from './established';
import { register } from './register';
import { rosterFeatures } from './roster-features';
import { sasl } from './sasl';
import { session } from './session';
import { starttls } from './starttls';
import { csi } from './csi';
import { sm } from './sm';
import { ping } from './ping';

export const defaultModules: readonly C2sModule[] = [starttls, sasl, channelBinding, register, bind, session, rosterFeatures, sm, csi, caps, ping, established];
export { bind, caps, channelBinding, csi, established, ping, register, rosterFeatures, sasl, session, sm, starttls };
