// Everything an account had goes when the account goes (issue: a new account
// with the same name must inherit nothing). Each piece of per-user state
// registers one hook where it is created (router main, or a server module's
// `removeUser`), so a new store adds a registration, not an edit here. Hooks
// run by stage: the sessions are ended first (nothing new gets written), then
// contacts are told (that reads the roster), then the data goes.
export type RemovalStage = 'sessions' | 'contacts' | 'data';

export interface Removing {
  /** The local part of the account removed. */
  user: string;
  /** The connection that asked for the removal (XEP-0077): its edge closes it after the result. */
  keepConnectionId: string;
}

export type RemoveUserHook = (r: Removing) => Promise<void>;

const STAGES: readonly RemovalStage[] = ['sessions', 'contacts', 'data'];

export class UserRemoval {
  private readonly hooks: Array<{ name: string; stage: RemovalStage; fn: RemoveUserHook }> = [];

  register(name: string, fn: RemoveUserHook, stage: RemovalStage = 'data'): this {
    this.hooks.push({ name, stage, fn });
    return this;
  }

  names(): string[] {
    return this.hooks.map((h) => h.name);
  }

  /** Run every hook, stage after stage; hooks of one stage run together. Throws (to be retried) if any failed. */
  async remove(r: Removing): Promise<void> {
    for (const stage of STAGES) {
      const results = await Promise.allSettled(this.hooks.filter((h) => h.stage === stage).map((h) => h.fn(r)));
      const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }
}
