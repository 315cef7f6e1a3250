"""Point-in-time host readings (memory, disks, identity) straight from psutil."""

import os
import platform
import socket
import time
from dataclasses import dataclass
from typing import Any

import psutil

# Filesystems with no storage behind them; listed only with ?all=true.
PSEUDO_FILESYSTEMS = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
        "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "overlay", "proc",
        "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs",
        "tmpfs", "tracefs",
    }
)  # fmt: skip


@dataclass(frozen=True)
class DiskUsage:
    total: int
    used: int
    free: int
    percent: float


@dataclass(frozen=True)
class PartitionReading:
    device: str
    mountpoint: str
    fstype: str
    options: str
    pseudo: bool
    usage: DiskUsage | None
    error: str | None


def partitions(include_pseudo: bool) -> list[PartitionReading]:
    """Mounted filesystems; one unreadable mount is reported on its own entry, not raised."""
    found = []
    for part in psutil.disk_partitions(all=True):
        pseudo = part.fstype in PSEUDO_FILESYSTEMS or not part.device.startswith("/")
        if pseudo and not include_pseudo:
            continue
        usage: DiskUsage | None = None
        error = None
        try:
            du = psutil.disk_usage(part.mountpoint)
            usage = DiskUsage(total=du.total, used=du.used, free=du.free, percent=du.percent)
        except (OSError, RuntimeError) as exc:  # permission denied, stale NFS, vanished mount
            error = f"{type(exc).__name__}: {exc}"
        found.append(
            PartitionReading(
                device=part.device,
                mountpoint=part.mountpoint,
                fstype=part.fstype,
                options=part.opts,
                pseudo=pseudo,
                usage=usage,
                error=error,
            )
        )
    return found


def addresses() -> dict[str, list[str]]:
    families = (socket.AF_INET, socket.AF_INET6)
    return {
        name: [a.address for a in addrs if a.family in families]
        for name, addrs in psutil.net_if_addrs().items()
    }


def identity() -> dict[str, Any]:
    uname = platform.uname()
    boot = psutil.boot_time()
    return {
        "hostname": socket.gethostname(),
        "os": uname.system,
        "kernel": uname.release,
        "python": platform.python_version(),
        "boot_time": boot,
        "uptime_seconds": round(time.time() - boot, 1),
        "cpu_count_logical": psutil.cpu_count(logical=True) or 0,
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "load_average": list(os.getloadavg()),
        "process_count": len(psutil.pids()),
    }
