"""The seed's host statistics endpoints, answered from the background sampler and psutil."""

from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated

import psutil
from fastapi import APIRouter, Query

from api import errors
from api.auth import HostReaderDep
from api.deps import SamplerDep
from api.host import readings
from api.schemas.host import (
    CpuCount,
    CpuPercent,
    CpuTimesPercent,
    HostSummary,
    Memory,
    Partition,
    PartitionList,
    SampleWindow,
    Usage,
)

router = APIRouter(tags=["host"], dependencies=[HostReaderDep], responses=errors.READ)


@router.get("/", response_model=HostSummary)
def host_summary(sampler: SamplerDep) -> HostSummary:
    """The host at a glance."""
    sample = sampler.latest()
    ident = readings.identity()
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    root = psutil.disk_usage("/")
    return HostSummary(
        hostname=ident["hostname"],
        addresses=readings.addresses(),
        os=ident["os"],
        kernel=ident["kernel"],
        python=ident["python"],
        boot_time=datetime.fromtimestamp(ident["boot_time"], UTC),
        uptime_seconds=ident["uptime_seconds"],
        cpu_count=CpuCount(
            logical=ident["cpu_count_logical"], physical=ident["cpu_count_physical"]
        ),
        cpu_percent=sample.percent,
        cpu_sample=SampleWindow(taken_at=sample.taken_at, window_seconds=sample.window_seconds),
        load_average=ident["load_average"],
        memory=Memory(
            total=memory.total, available=memory.available, used=memory.used, percent=memory.percent
        ),
        swap=Usage(total=swap.total, used=swap.used, free=swap.free, percent=swap.percent),
        root_disk=Usage(total=root.total, used=root.used, free=root.free, percent=root.percent),
        process_count=ident["process_count"],
        version=version("pichord"),
    )


@router.get("/cpu/percent", response_model=CpuPercent)
def cpu_percent(sampler: SamplerDep) -> CpuPercent:
    """CPU use over the latest sampling window, in total and per logical CPU."""
    sample = sampler.latest()
    return CpuPercent(
        taken_at=sample.taken_at,
        window_seconds=sample.window_seconds,
        total=sample.percent,
        per_cpu=sample.per_cpu,
    )


@router.get("/cpu/times_percent", response_model=CpuTimesPercent)
def cpu_times_percent(sampler: SamplerDep) -> CpuTimesPercent:
    """How CPU time split between user, system, idle, iowait, ... over the latest window."""
    sample = sampler.latest()
    return CpuTimesPercent(
        taken_at=sample.taken_at,
        window_seconds=sample.window_seconds,
        total=sample.times_percent,
        per_cpu=sample.times_percent_per_cpu,
    )


@router.get("/partitions/usage", response_model=PartitionList)
def partitions_usage(
    include_all: Annotated[
        bool, Query(alias="all", description="Include pseudo filesystems")
    ] = False,
) -> PartitionList:
    """Mounted partitions and their usage; an unreadable mount is reported, not fatal."""
    return PartitionList(
        partitions=[
            Partition(
                device=p.device,
                mountpoint=p.mountpoint,
                fstype=p.fstype,
                options=p.options,
                error=p.error,
                **(asdict(p.usage) if p.usage else {}),
            )
            for p in readings.partitions(include_pseudo=include_all)
        ]
    )
