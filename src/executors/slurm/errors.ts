// Expected runtime failures of the SLURM executor: each names what failed and how to fix it.

/** A SLURM client command (sbatch, squeue, scontrol, scancel) exited non-zero or could not start. */
export class SlurmCommandFailed extends Error {
  readonly _tag = 'SlurmCommandFailed';
  constructor(readonly command: string, readonly args: readonly string[], readonly exitCode: number | null, readonly stderr: string) {
    const hint = /ENOENT/.test(stderr)
      ? `'${command}' is not installed or not on PATH: install the SLURM client (Debian: apt-get install slurm-client) or run with --executor local`
      : /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted/i.test(stderr)
        ? 'the SLURM controller did not answer: check that slurmctld is up and that SLURM_CONF points at its slurm.conf'
        : 'see the message above; the full command is shown so you can run it by hand';
    super(`${command} ${args.join(' ')} failed (exit ${exitCode ?? 'none'}): ${stderr.trim() || '(no output)'}\n  hint: ${hint}`);
    this.name = 'SlurmCommandFailed';
  }
}

/** The store is not visible to the compute nodes, so jobs could not read inputs or commit outputs. */
export class StoreNotShared extends Error {
  readonly _tag = 'StoreNotShared';
  constructor(readonly store: string, readonly detail: string) {
    super(`the store ${store} is not shared with the SLURM compute nodes: ${detail}\n  hint: put the store on a filesystem every node mounts (NFS, Lustre, GPFS, BeeGFS, ...) with --store DIR, or run with --executor local`);
    this.name = 'StoreNotShared';
  }
}

/** The SLURM options (config file or flags) are malformed. */
export class SlurmConfigInvalid extends Error {
  readonly _tag = 'SlurmConfigInvalid';
  constructor(readonly source: string, readonly detail: string) {
    super(`invalid SLURM options in ${source}: ${detail}`);
    this.name = 'SlurmConfigInvalid';
  }
}
