"""Response models of the host statistics endpoints."""

from datetime import datetime

from pydantic import BaseModel, Field


class SampleWindow(BaseModel):
    taken_at: datetime = Field(description="When the background sampler took this reading")
    window_seconds: float = Field(description="The interval the CPU figures average over")


class CpuPercent(SampleWindow):
    total: float = Field(ge=0, le=100)
    per_cpu: list[float] = Field(description="One entry per logical CPU, 0..100")


class CpuTimesPercent(SampleWindow):
    total: dict[str, float] = Field(description="Every CPU time field psutil has on this OS")
    per_cpu: list[dict[str, float]]


class Usage(BaseModel):
    total: int
    used: int
    free: int
    percent: float


class Memory(BaseModel):
    total: int
    available: int
    used: int
    percent: float


class CpuCount(BaseModel):
    logical: int
    physical: int | None


class HostSummary(BaseModel):
    hostname: str
    addresses: dict[str, list[str]] = Field(description="IP addresses per interface")
    os: str
    kernel: str
    python: str
    boot_time: datetime
    uptime_seconds: float
    cpu_count: CpuCount
    cpu_percent: float
    cpu_sample: SampleWindow
    load_average: list[float] = Field(description="1, 5 and 15 minutes")
    memory: Memory
    swap: Usage
    root_disk: Usage
    process_count: int
    version: str


class Partition(BaseModel):
    device: str
    mountpoint: str
    fstype: str
    options: str
    total: int | None = None
    used: int | None = None
    free: int | None = None
    percent: float | None = None
    error: str | None = Field(default=None, description="Why usage could not be read")


class PartitionList(BaseModel):
    partitions: list[Partition]
