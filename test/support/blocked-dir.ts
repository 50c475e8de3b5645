import { execFileSync } from 'node:child_process';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Makes a real folder refuse new files, the way an operator's mistake would: `chmod 555` (EACCES) for
 * a normal user. chmod does not stop root, so as root: `chattr +i` (EPERM, also for root, on ext4 /
 * xfs / btrfs), or when the file system or the tool refuses that, a regular file in the folder's
 * place (ENOTDIR / EEXIST). `restore()` undoes it; call it in a finally.
 */
export function blockWrites(dir: string): { how: string; restore(): void } {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return { how: 'chmod 555', restore: () => chmodSync(dir, 0o755) };
  }
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
    return { how: 'chattr +i (running as root)', restore: () => execFileSync('chattr', ['-i', dir], { stdio: 'pipe' }) };
  } catch {
    const aside = `${dir}.aside`;
    renameSync(dir, aside);
    writeFileSync(dir, 'not a folder');
    return {
      how: 'a file in the folder\'s place (running as root, no chattr)',
      restore: () => {
        rmSync(dir, { force: true });
        renameSync(aside, dir);
      },
    };
  }
}
