"""Command lines that put a program into fresh Linux namespaces: bubblewrap, or unshare + chroot.

Both give the program the same world: new mount, PID, IPC and UTS namespaces (and a network
namespace with nothing but its own loopback unless the policy is ``setup``); a root built from
scratch holding the toolchain read-only (``/usr`` and the merged-usr links, a few files of
``/etc``), a fresh ``/proc`` of its own PID namespace, minimal ``/dev``, private tmpfs ``/tmp``
and ``/dev/shm``, and the workspace read-write at ``/workspace``; an empty environment but PATH,
HOME and LANG.
The program runs as ``uid`` (never root, never the caller's user) with no capabilities and
``no_new_privs``, through ``setpriv``. The namespaces' first process is a reaper: when the
program exits, or the launcher is killed, every process left in the PID namespace is killed.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from shared.ports.sandbox import WORKSPACE_MOUNT

#: The sandbox's own private tmpfs, not the host's /tmp.
SANDBOX_TMP = "/tmp"  # noqa: S108
SANDBOX_SHM = "/dev/shm"  # noqa: S108  # semaphores of Python's multiprocessing live here
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SANDBOX_TMP, "LANG": "C.UTF-8"}
#: Files of /etc the toolchain needs (dynamic linker, certificates, name service); never
#: passwd/shadow or anything of the host's configuration.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/localtime",
    "/etc/os-release",
    "/etc/debian_version",
)
SETUP_ETC_FILES = ("/etc/resolv.conf",)
MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
SETPRIV = "/usr/bin/setpriv"


# Runs the program as a child, then fails the run if anything it started is still alive (a
# daemon left behind is reported, and killed with the namespace when this shell exits). Uses
# only shell builtins after the program ends, so it counts no helper of its own.
_SUPERVISOR = r"""
cd /workspace || exit 126
"$@"
code=$?
left=0
for entry in /proc/[0-9]*; do
  pid=${entry#/proc/}
  if [ "$pid" = 1 ] || [ "$pid" = $$ ]; then continue; fi
  read -r stat < "$entry/stat" 2>/dev/null || continue
  case $stat in *") Z "*) continue ;; esac
  left=$((left + 1))
done
if [ "$left" -gt 0 ]; then
  echo "sandbox: the program left $left background process(es) running; they were killed" >&2
  [ "$code" = 0 ] && code=1
fi
exit "$code"
"""


def _drop_privileges(uid: int, argv: Sequence[str]) -> list[str]:
    """``setpriv`` to the run's uid with no capabilities left, then ``argv``."""
    return [
        SETPRIV,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
        *argv,
    ]


def _supervised(argv: Sequence[str]) -> list[str]:
    return ["/bin/sh", "-c", _SUPERVISOR, "sandbox-run", *argv]


def bwrap_argv(
    bwrap: str,
    *,
    workspace: Path,
    uid: int,
    argv: Sequence[str],
    network: bool,
    tmp_bytes: int,
    toolchain: Sequence[Path] = (),
) -> list[str]:
    """bubblewrap, started as root without a user namespace, so that ``setpriv`` can become
    ``uid`` on the host (a uid no other process has: rlimits count per uid)."""
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    if not network:
        args.append("--unshare-net")
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # for setpriv, then dropped
    args += ["--ro-bind", "/usr", "/usr"]
    for name in MERGED_USR:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", str(host.readlink()), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    args += ["--perms", "0755", "--dir", "/etc"]
    for path in (*ETC_FILES, *(SETUP_ETC_FILES if network else ())):
        args += ["--ro-bind-try", path, path]
    for path in toolchain:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for private in (SANDBOX_TMP, SANDBOX_SHM):
        args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", private]
    args += ["--bind", str(workspace), WORKSPACE_MOUNT, "--chdir", WORKSPACE_MOUNT]
    args.append("--clearenv")
    for name, value in ENV.items():
        args += ["--setenv", name, value]
    return [*args, "--", *_drop_privileges(uid, _supervised(argv))]


# Runs as root inside the new namespaces: builds the root on a tmpfs, then chroots into it and
# drops to the sandbox uid. Arguments: workspace, uid, tmp size, network (0/1), toolchain
# directories (colon-separated), then the program.
_UNSHARE_SCRIPT = r"""
set -eu
workspace=$1 uid=$2 tmp_bytes=$3 network=$4 toolchain=$5
shift 5
root=/run/sandbox-root
mount -t tmpfs -o mode=0755 sandbox-parent /run
mkdir "$root"
mount -t tmpfs -o mode=0755 sandbox-root "$root"
mkdir -p "$root/usr" "$root/proc" "$root/dev" "$root/tmp" "$root/etc" "$root/workspace"
mount --rbind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
for name in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$name" ]; then ln -s "$(readlink "/$name")" "$root/$name"
  elif [ -d "/$name" ]; then mkdir "$root/$name"; mount --rbind "/$name" "$root/$name"
    mount -o remount,bind,ro "$root/$name"; fi
done
bind_ro() {
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$(dirname "$root$1")"; : >"$root$1"; fi
  mount --rbind "$1" "$root$1"
  mount -o remount,bind,ro "$root$1"
}
for path in ETC_FILES; do bind_ro "$path"; done
[ "$network" = 1 ] && bind_ro /etc/resolv.conf
old_ifs=$IFS; IFS=:
for path in $toolchain; do bind_ro "$path"; done
IFS=$old_ifs
for dev in null zero full random urandom tty; do
  : >"$root/dev/$dev"; mount --bind "/dev/$dev" "$root/dev/$dev"
done
mount -t proc proc "$root/proc"
mount -t tmpfs -o "mode=1777,size=$tmp_bytes" sandbox-tmp "$root/tmp"
mkdir "$root/dev/shm"
mount -t tmpfs -o "mode=1777,size=$tmp_bytes" sandbox-shm "$root/dev/shm"
mount --bind "$workspace" "$root/workspace"
hostname sandbox
cd "$root"
exec /usr/sbin/chroot . SETPRIV_AND_ENV "$@"
"""


def unshare_argv(
    unshare: str,
    *,
    workspace: Path,
    uid: int,
    argv: Sequence[str],
    network: bool,
    tmp_bytes: int,
    toolchain: Sequence[Path] = (),
) -> list[str]:
    """util-linux ``unshare`` (as root) and a shell script that builds the same root as
    bubblewrap does; ``--kill-child`` and the PID namespace take every process down with it."""
    env = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in ENV.items())]
    inner = _drop_privileges(uid, [*env, *_supervised(())])
    script = _UNSHARE_SCRIPT.replace("ETC_FILES", " ".join(ETC_FILES)).replace(
        "SETPRIV_AND_ENV", shlex.join(inner)
    )
    namespaces = ["--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child"]
    if not network:
        namespaces.append("--net")
    toolchain_arg = ":".join(str(p) for p in toolchain)
    return [
        unshare,
        *namespaces,
        "--propagation",
        "private",
        "/bin/sh",
        "-c",
        script,
        "sandbox-init",
        str(workspace),
        str(uid),
        str(tmp_bytes),
        "1" if network else "0",
        toolchain_arg,
        *argv,
    ]
