/** What the kernel-interop tests need from the machine, shared by every test file in this folder. */
import fs from 'node:fs';
import path from 'node:path';

/** Whether `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(path.join(dir || '.', cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the interop tests cannot run here (Linux, root, /dev/net/tun, and `commands`), or undefined. */
export function interopSkipReason(commands: readonly string[] = ['ip', 'python3', 'curl']): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (creates network namespaces and TUN devices)';
  if (!fs.existsSync('/dev/net/tun')) return '/dev/net/tun does not exist';
  const missing = commands.filter((c) => !onPath(c));
  if (missing.length > 0) return `missing commands: ${missing.join(', ')} (see scripts/install-test-deps.sh)`;
  return undefined;
}
