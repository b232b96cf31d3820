"""Measuring achievable bandwidth and matmul FLOP/s: a roofline row from a benchmark, not a datasheet.

A datasheet gives peaks no kernel reaches. This module measures what one does reach on the machine at hand, and
reads the published measurements of the book's accelerators (``data/measured_hardware.csv``):

- **Bandwidth** W (bytes/s): STREAM-style *copy* ``c = a`` and *triad* ``a = b + s·c`` over arrays far larger than
  the last-level cache. Bytes are counted the STREAM way (eq. stream-bytes): a copy moves ``2·N·e`` bytes and a
  triad ``3·N·e`` (N elements of ``e`` bytes); the extra read a write-allocate cache does before each store is
  not counted, as STREAM does not count it.
- **Compute** F (FLOP/s): a dense square matmul ``C = A·B`` of order n does ``2·n³`` FLOPs (n³ multiply-adds),
  for each precision the array library can run (numpy: fp64 and fp32; a GPU library: fp32, bf16, fp8).
- Each kernel runs once to warm up, then ``repetitions`` times; a figure is the **median** of the repetitions,
  with its spread (min, max and (max − min) ÷ median).

The achievable fraction of a datasheet figure is ``η = measured ÷ datasheet`` (:func:`achievable_fraction`):
``η_W`` for bandwidth (the ceiling of memory-bandwidth utilisation, MBU) and ``η_F`` for FLOP/s (the ceiling of
model-FLOPs utilisation, MFU). The command line is ``python -m lib measure`` (see :func:`run_cli`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import math
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from . import data
from .data import (HARDWARE_RANGES, PARTIAL_DATE, Column, DataError, Problem, TableSchema, provenance_column,
                   register_schema)
from .hardware import Hardware
from .units import GIGA, TERA

MIB = 2**20
GIB = 2**30

#: STREAM's rule: each array at least four times the size of the last-level cache(s).
STREAM_CACHE_MULTIPLE = 4
#: Assumed last-level cache when the OS does not say (larger than most CPUs' L3 per socket).
DEFAULT_LLC_BYTES = 64 * MIB
#: Smallest STREAM array: 64 MiB on a CPU, 1 GiB on a GPU (whose caches the driver may not report).
MIN_ARRAY_BYTES = {"cpu": 64 * MIB, "cuda": GIB}
#: Arrays never take more than this fraction of the device's memory each (three arrays are live in a triad).
MAX_ARRAY_MEMORY_FRACTION = 1 / 8
#: Assumed power per CPU core when the OS gives no package power limit (server CPUs: ~5–15 W per core at TDP).
ASSUMED_CPU_WATTS_PER_CORE = 10.0
#: Assumed network link (10 GbE, 1.25 GB/s) when the OS reports none.
ASSUMED_LINK_Bps = 1.25e9
#: Precisions a benchmark may report, in the order they are shown.
PRECISIONS = ("fp64", "fp32", "fp16", "bf16", "fp8", "fp4")
#: Precisions that have a column in hardware.csv.
ROW_PRECISIONS = ("bf16", "fp8", "fp4")
MEASURED_SUFFIX = "(measured)"


class BackendUnavailable(RuntimeError):
    """The device asked for cannot be measured here; the message says what to install or check."""


# --------------------------------------------------------------------------------------------------
# The arithmetic: bytes, FLOPs, fractions, spreads


def stream_bytes(kernel: str, elements: int, element_bytes: int) -> int:
    """Bytes a STREAM kernel moves, counted the STREAM way (eq. stream-bytes): ``copy`` (c = a) reads one array
    and writes one, 2·N·e bytes; ``triad`` (a = b + s·c) reads two and writes one, 3·N·e bytes. Write-allocate
    reads are not counted."""
    arrays = {"copy": 2, "triad": 3}
    if kernel not in arrays:
        raise ValueError(f"unknown STREAM kernel {kernel!r}; expected one of {', '.join(arrays)}")
    return arrays[kernel] * int(elements) * int(element_bytes)


def matmul_flops(m: int | np.ndarray, n: int | np.ndarray, k: int | np.ndarray) -> int | np.ndarray:
    """FLOPs of a dense matmul (m×k)·(k×n): 2·m·n·k (each of the m·n·k multiply-adds counts as two FLOPs)."""
    return 2 * np.asarray(m, dtype=np.int64) * n * k if np.ndim(m) else 2 * int(m) * int(n) * int(k)


def achievable_fraction(measured: float | np.ndarray, datasheet: float | np.ndarray) -> float | np.ndarray:
    """η = measured ÷ datasheet, the fraction of a datasheet peak a benchmark reaches (bandwidth or FLOP/s)."""
    return np.divide(measured, datasheet)


@dataclass(frozen=True)
class Stat:
    """A repeated measurement: the median of the samples and their spread (same unit as the samples)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def low(self) -> float:
        return float(min(self.samples))

    @property
    def high(self) -> float:
        return float(max(self.samples))

    @property
    def relative_spread(self) -> float:
        """(max − min) ÷ median: 0.05 means the repetitions lie within 5% of the median's size."""
        return (self.high - self.low) / self.median

    @property
    def relative_iqr(self) -> float:
        """(q3 − q1) ÷ median, the interquartile range of the samples (quartiles by linear interpolation): a
        spread that one outlier (a repetition disturbed by another process) does not set."""
        if len(self.samples) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return (q3 - q1) / self.median

    def to_json(self) -> dict:
        return {"median": self.median, "min": self.low, "max": self.high, "relative_spread": self.relative_spread,
                "relative_iqr": self.relative_iqr, "samples": list(self.samples)}


def summarize(samples: Iterable[float]) -> Stat:
    """The :class:`Stat` of positive, finite samples; a ValueError for an empty list or a bad sample."""
    values = tuple(float(s) for s in samples)
    if not values:
        raise ValueError("no samples to summarize")
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"samples must be positive and finite, got {values}")
    return Stat(values)


# --------------------------------------------------------------------------------------------------
# The machine, from the OS


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def cpu_model() -> tuple[str, str]:
    """(vendor, model name) of the CPU, from /proc/cpuinfo where present, cleaned of ®/™ marks and clock."""
    vendor, model = "", ""
    info = _read("/proc/cpuinfo") or ""
    for line in info.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "vendor_id" and not vendor:
            vendor = value
        elif key in ("model name", "Model", "cpu model") and not model:
            model = value
    model = model or platform.processor() or platform.machine() or "CPU"
    model = re.sub(r"\((R|TM|tm|r)\)", "", model)
    model = re.sub(r"\s+CPU\s+@.*$|\s+@\s+[\d.]+\s*GHz.*$", "", model)
    model = " ".join(model.split())
    vendors = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "ARM": "Arm"}
    vendor = vendors.get(vendor, vendor) or (model.split()[0] if model.split() else "unknown")
    return vendor, model


def memory_bytes() -> int | None:
    """Physical memory (RAM) in bytes, from the OS; None if it cannot say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def available_memory_bytes() -> int | None:
    """Memory available to a new allocation (MemAvailable), else the physical size."""
    info = _read("/proc/meminfo") or ""
    match = re.search(r"^MemAvailable:\s+(\d+)\s+kB", info, re.M)
    return int(match.group(1)) * 1024 if match else memory_bytes()


def _parse_size(text: str) -> int | None:
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text or "")
    if not match:
        return None
    return int(match.group(1)) * {"": 1, "K": 1024, "M": MIB, "G": GIB}[match.group(2)]


def last_level_cache_bytes() -> int | None:
    """Size of the largest (last-level) CPU cache in bytes, from sysfs or sysconf; None if the OS does not say."""
    best: tuple[int, int] | None = None
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        level, size = _read(str(index / "level")), _parse_size(_read(str(index / "size")) or "")
        if level and level.isdigit() and size:
            best = max(best or (0, 0), (int(level), size))
    if best:
        return best[1]
    for name in ("SC_LEVEL3_CACHE_SIZE", "SC_LEVEL2_CACHE_SIZE"):
        try:
            value = os.sysconf(name)
        except (ValueError, OSError, AttributeError):
            continue
        if value and value > 0:
            return int(value)
    return None


def network_link_Bps() -> tuple[float | None, str]:
    """The fastest physical network link's speed in bytes/s from /sys/class/net/*/speed, with where it came from."""
    speeds = {}
    for device in Path("/sys/class/net").glob("*"):
        if device.name == "lo" or not (device / "device").exists():
            continue  # virtual interfaces (bridges, veth) have no device link
        text = _read(str(device / "speed"))
        if text and text.lstrip("-").isdigit() and int(text) > 0:
            speeds[device.name] = int(text) * 1e6 / 8  # Mb/s → bytes/s
    if not speeds:
        return None, "no link speed reported by /sys/class/net"
    name = max(speeds, key=speeds.get)
    return speeds[name], f"link speed of {name} from /sys/class/net"


def package_power_W() -> tuple[float | None, str]:
    """The CPU package's long-term power limit (a TDP stand-in) from Linux RAPL, if readable."""
    total, found = 0.0, []
    for zone in sorted(Path("/sys/class/powercap").glob("intel-rapl:[0-9]")):
        text = _read(str(zone / "constraint_0_power_limit_uw"))
        if text and text.isdigit() and int(text) > 0:
            total += int(text) / 1e6
            found.append(zone.name)
    if found:
        return total, f"RAPL long-term power limit of {', '.join(found)}"
    return None, "no RAPL power limit readable"


def blas_name() -> str:
    """numpy's BLAS library and version, as numpy was built (e.g. ``scipy-openblas 0.3.31``)."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # pragma: no cover - numpy < 1.25 or an unusual build
        return "unknown BLAS"


# --------------------------------------------------------------------------------------------------
# Progress on stderr


class Progress:
    """A one-line progress display on stderr ("[3/9] triad 2/5"); silent when disabled."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def show(self, text: str, step: bool = False) -> None:
        """Redraw the line (a terminal); elsewhere (a log) only steps are written, one line each."""
        if not self.enabled or not (self.tty or step):
            return
        line = f"[{self.done}/{self.total}] {text}"
        self.stream.write("\r\033[K" + line if self.tty else line + "\n")
        self.stream.flush()

    def step(self, text: str) -> None:
        self.done += 1
        self.show(text, step=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --------------------------------------------------------------------------------------------------
# Backends: what a device must provide to be measured


class Backend:
    """A device and the array library that drives it. Subclasses implement the kernels; :meth:`timed` times one
    call (a fake backend for tests may return synthetic times)."""

    device: str = "cpu"
    device_name: str = "unknown"
    vendor: str = "unknown"
    library: str = "unknown"
    element_bytes: int = 8  # STREAM arrays' element size

    def machine(self) -> dict:
        return {}

    def memory_bytes(self) -> int | None:
        return None

    def cache_bytes(self) -> int | None:
        return None

    def precisions(self) -> dict[str, str | None]:
        """Every precision in :data:`PRECISIONS` → None if this backend can run its matmul, else why not."""
        raise NotImplementedError

    def allocate_stream(self, elements: int):
        raise NotImplementedError

    def copy(self, arrays) -> None:
        raise NotImplementedError

    def triad(self, arrays) -> None:
        raise NotImplementedError

    def allocate_matmul(self, n: int, precision: str):
        raise NotImplementedError

    def matmul(self, operands) -> None:
        raise NotImplementedError

    def synchronize(self) -> None:
        pass

    def release(self) -> None:
        pass

    def timed(self, fn: Callable[[], None]) -> float:
        """Seconds one call of ``fn`` takes, with the device idle before and finished after."""
        self.synchronize()
        start = time.perf_counter()
        fn()
        self.synchronize()
        return time.perf_counter() - start


def _slices(n: int, parts: int) -> list[slice]:
    bounds = np.linspace(0, n, parts + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


class NumpyBackend(Backend):
    """The CPU through numpy: STREAM kernels split over one thread per core (numpy releases the GIL inside its
    loops), matmul through numpy's BLAS with its own threads. numpy has no bf16 or fp8 arithmetic."""

    device = "cpu"
    element_bytes = 8
    #: Triad block: a·s then +b in blocks that stay in L2, so each array crosses memory once (STREAM's count).
    TRIAD_BLOCK_ELEMENTS = 32 * 1024

    def __init__(self, threads: int | None = None):
        self.threads = threads or cpu_count()
        self.vendor, self.device_name = cpu_model()
        self.library = f"numpy {np.__version__} ({blas_name()})"
        self._pool = ThreadPoolExecutor(self.threads)

    def machine(self) -> dict:
        return {"cpu_model": self.device_name, "cpu_vendor": self.vendor, "cores": cpu_count(),
                "threads": self.threads, "memory_bytes": memory_bytes(), "llc_bytes": last_level_cache_bytes(),
                "library": self.library, "python": platform.python_version(),
                "os": f"{platform.system()} {platform.release()}"}

    def memory_bytes(self) -> int | None:
        return memory_bytes()

    def cache_bytes(self) -> int | None:
        return last_level_cache_bytes()

    def precisions(self) -> dict[str, str | None]:
        return {"fp64": None, "fp32": None,
                "fp16": "numpy's float16 matmul does not use BLAS (it is not a hardware matmul rate)",
                "bf16": "numpy has no bfloat16 dtype",
                "fp8": "numpy has no fp8 dtype", "fp4": "numpy has no fp4 dtype"}

    def _parallel(self, n: int, work: Callable[[slice], None]) -> None:
        list(self._pool.map(work, _slices(n, self.threads)))

    def allocate_stream(self, elements: int):
        arrays = tuple(np.empty(elements, dtype=np.float64) for _ in range(3))

        def first_touch(part: slice) -> None:  # each thread touches its own pages first (NUMA placement)
            arrays[0][part] = 1.0
            arrays[1][part] = 2.0
            arrays[2][part] = 0.5

        self._parallel(elements, first_touch)
        return arrays

    def copy(self, arrays) -> None:
        a, _, c = arrays
        self._parallel(len(a), lambda part: np.copyto(c[part], a[part]))

    def triad(self, arrays, scalar: float = 3.0) -> None:
        a, b, c = arrays
        block = self.TRIAD_BLOCK_ELEMENTS

        def work(part: slice) -> None:
            for start in range(part.start, part.stop, block):
                chunk = slice(start, min(start + block, part.stop))
                np.multiply(c[chunk], scalar, out=a[chunk])
                np.add(a[chunk], b[chunk], out=a[chunk])

        self._parallel(len(a), work)

    def allocate_matmul(self, n: int, precision: str):
        dtype = {"fp64": np.float64, "fp32": np.float32}[precision]
        rng = np.random.default_rng(0)  # random values, not zeros: the realistic (and hotter) case
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        return a, b, np.empty((n, n), dtype=dtype)

    def matmul(self, operands) -> None:
        a, b, c = operands
        np.matmul(a, b, out=c)

    def release(self) -> None:
        self._pool.shutdown(wait=True)


class TorchBackend(Backend):  # pragma: no cover - needs a GPU; tested on a lent device only
    """A CUDA or ROCm GPU through PyTorch: copy_ and a one-kernel triad (torch.add with alpha), matmul in fp32
    (TF32 off), bf16, fp16 and fp8 (torch._scaled_mm, where the GPU and PyTorch support it)."""

    device = "cuda"
    element_bytes = 4

    def __init__(self):
        import torch

        if not torch.cuda.is_available():
            raise BackendUnavailable("PyTorch is installed but sees no CUDA or ROCm GPU (torch.cuda.is_available() "
                                     "is False): check the driver, or measure the CPU with --device cpu")
        self.torch = torch
        torch.backends.cuda.matmul.allow_tf32 = False
        self.dev = torch.device("cuda")
        props = torch.cuda.get_device_properties(0)
        self.props = props
        self.device_name = props.name
        self.vendor = "AMD" if torch.version.hip else "NVIDIA"
        runtime = f"HIP {torch.version.hip}" if torch.version.hip else f"CUDA {torch.version.cuda}"
        self.library = f"PyTorch {torch.__version__} ({runtime})"

    def machine(self) -> dict:
        vendor, cpu = cpu_model()
        return {"gpu": self.device_name, "gpu_memory_bytes": self.props.total_memory,
                "gpu_multiprocessors": self.props.multi_processor_count, "gpus_visible": self.torch.cuda.device_count(),
                "host_cpu": cpu, "library": self.library, "python": platform.python_version(),
                "os": f"{platform.system()} {platform.release()}"}

    def memory_bytes(self) -> int | None:
        return int(self.props.total_memory)

    def cache_bytes(self) -> int | None:
        size = getattr(self.props, "L2_cache_size", 0)
        return int(size) if size else None

    def _fp8_dtype(self):
        if self.torch.version.hip:
            return getattr(self.torch, "float8_e4m3fnuz", None)
        return getattr(self.torch, "float8_e4m3fn", None)

    def precisions(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"fp64": "not measured on GPUs (no column in hardware.csv)", "fp32": None,
                                      "fp16": None, "bf16": None, "fp8": None,
                                      "fp4": "fp4 matmul is not measured (no stable PyTorch API)"}
        if not self.torch.cuda.is_bf16_supported():
            out["bf16"] = "this GPU has no bf16 support in PyTorch"
        if self._fp8_dtype() is None or not hasattr(self.torch, "_scaled_mm"):
            out["fp8"] = f"PyTorch {self.torch.__version__} has no fp8 matmul (torch._scaled_mm)"
        else:
            try:
                self.matmul(self.allocate_matmul(256, "fp8"))
                self.synchronize()
            except Exception as error:  # the GPU or the build lacks fp8 tensor cores
                out["fp8"] = f"fp8 matmul failed here: {str(error).splitlines()[0][:160]}"
        return out

    def allocate_stream(self, elements: int):
        t = self.torch
        return tuple(t.full((elements,), v, dtype=t.float32, device=self.dev) for v in (1.0, 2.0, 0.5))

    def copy(self, arrays) -> None:
        a, _, c = arrays
        c.copy_(a)

    def triad(self, arrays, scalar: float = 3.0) -> None:
        a, b, c = arrays
        self.torch.add(b, c, alpha=scalar, out=a)

    def allocate_matmul(self, n: int, precision: str):
        t = self.torch
        generator = t.Generator(device=self.dev).manual_seed(0)
        if precision == "fp8":
            dtype = self._fp8_dtype()
            a = t.randn((n, n), device=self.dev, generator=generator).to(dtype)
            b = t.randn((n, n), device=self.dev, generator=generator).to(dtype).t()  # column-major, as required
            one = t.tensor(1.0, device=self.dev)
            return ("fp8", a, b, one)
        dtype = {"fp32": t.float32, "fp16": t.float16, "bf16": t.bfloat16}[precision]
        a = t.randn((n, n), device=self.dev, dtype=dtype, generator=generator)
        b = t.randn((n, n), device=self.dev, dtype=dtype, generator=generator)
        return ("dense", a, b, t.empty((n, n), device=self.dev, dtype=dtype))

    def matmul(self, operands) -> None:
        kind, a, b, extra = operands
        if kind == "fp8":
            self.torch._scaled_mm(a, b, scale_a=extra, scale_b=extra, out_dtype=self.torch.bfloat16)
        else:
            self.torch.matmul(a, b, out=extra)

    def synchronize(self) -> None:
        self.torch.cuda.synchronize()

    def release(self) -> None:
        self.torch.cuda.empty_cache()


class CupyBackend(Backend):  # pragma: no cover - needs a GPU; tested on a lent device only
    """A CUDA or ROCm GPU through CuPy: copyto and an elementwise triad kernel; matmul in fp32 and fp16 (CuPy has
    no bf16 or fp8 dtype: install PyTorch to measure those)."""

    device = "cuda"
    element_bytes = 4

    def __init__(self):
        import cupy

        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:
            raise BackendUnavailable(f"CuPy is installed but finds no GPU: {error}") from None
        if count < 1:
            raise BackendUnavailable("CuPy is installed but finds no GPU")
        self.cp = cupy
        props = cupy.cuda.runtime.getDeviceProperties(0)
        self.props = props
        name = props["name"]
        self.device_name = name.decode() if isinstance(name, bytes) else str(name)
        self.vendor = "AMD" if cupy.cuda.runtime.is_hip else "NVIDIA"
        self.library = f"CuPy {cupy.__version__} (runtime {cupy.cuda.runtime.runtimeGetVersion()})"
        self._triad = cupy.ElementwiseKernel("T b, T c, T s", "T a", "a = b + s * c", "stream_triad")

    def machine(self) -> dict:
        vendor, cpu = cpu_model()
        return {"gpu": self.device_name, "gpu_memory_bytes": int(self.props["totalGlobalMem"]),
                "gpus_visible": self.cp.cuda.runtime.getDeviceCount(), "host_cpu": cpu, "library": self.library,
                "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}"}

    def memory_bytes(self) -> int | None:
        return int(self.props["totalGlobalMem"])

    def cache_bytes(self) -> int | None:
        size = self.props.get("l2CacheSize", 0)
        return int(size) if size else None

    def precisions(self) -> dict[str, str | None]:
        return {"fp64": "not measured on GPUs (no column in hardware.csv)", "fp32": None, "fp16": None,
                "bf16": "CuPy has no bfloat16 dtype (install PyTorch to measure bf16)",
                "fp8": "CuPy has no fp8 dtype (install PyTorch to measure fp8)", "fp4": "CuPy has no fp4 dtype"}

    def allocate_stream(self, elements: int):
        cp = self.cp
        return tuple(cp.full((elements,), v, dtype=cp.float32) for v in (1.0, 2.0, 0.5))

    def copy(self, arrays) -> None:
        a, _, c = arrays
        self.cp.copyto(c, a)

    def triad(self, arrays, scalar: float = 3.0) -> None:
        a, b, c = arrays
        self._triad(b, c, self.cp.float32(scalar), a)

    def allocate_matmul(self, n: int, precision: str):
        cp = self.cp
        dtype = {"fp32": cp.float32, "fp16": cp.float16}[precision]
        rng = cp.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=cp.float32).astype(dtype)
        b = rng.standard_normal((n, n), dtype=cp.float32).astype(dtype)
        return a, b, cp.empty((n, n), dtype=dtype)

    def matmul(self, operands) -> None:
        a, b, c = operands
        self.cp.matmul(a, b, out=c)

    def synchronize(self) -> None:
        self.cp.cuda.Device().synchronize()

    def release(self) -> None:
        self.cp.get_default_memory_pool().free_all_blocks()


#: What to install for the GPU path (one message, used by the CLI and the tests).
GPU_INSTALL_HINT = ("measuring a GPU needs PyTorch or CuPy, and neither is installed: install one, e.g. "
                    "`pip install -e '.[gpu]'` (PyTorch) or `pip install cupy-cuda12x` (CuPy for CUDA 12), "
                    "or measure the CPU with `--device cpu`")


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def get_backend(device: str = "cpu", available: Callable[[str], bool] = _module_available,
                threads: int | None = None) -> Backend:
    """The backend for ``device``: numpy for ``cpu`` (``threads`` for its STREAM kernels, default one per CPU);
    PyTorch, else CuPy, for ``cuda``.

    Raises :class:`BackendUnavailable` naming what to install when neither GPU library is present.
    """
    if device == "cpu":
        return NumpyBackend(threads)
    if device != "cuda":
        raise ValueError(f"unknown device {device!r}; expected cpu or cuda")
    if available("torch"):
        return TorchBackend()
    if available("cupy"):
        return CupyBackend()
    raise BackendUnavailable(GPU_INSTALL_HINT)


# --------------------------------------------------------------------------------------------------
# The measurement


@dataclass
class Measurement:
    """What one run of the benchmark found (SI units: bytes/s, FLOP/s, bytes)."""

    device: str
    device_name: str
    vendor: str
    library: str
    date: str
    repetitions: int
    stream_array_bytes: int
    stream_element_bytes: int
    bandwidth_Bps: dict[str, Stat]
    flops_per_s: dict[str, Stat]
    matmul_n: dict[str, int]
    unsupported: dict[str, str]
    memory_bytes: int | None
    machine: dict = field(default_factory=dict)
    command: str = ""

    @property
    def bandwidth(self) -> Stat:
        """The row's bandwidth: the triad's (STREAM's headline kernel)."""
        return self.bandwidth_Bps["triad"]

    @classmethod
    def from_json(cls, payload: dict) -> "Measurement":
        """A measurement back from :meth:`to_json` (e.g. the output of ``python -m lib measure --json``)."""
        method = payload["bandwidth_method"]
        return cls(
            device=payload["device"], device_name=payload["device_name"], vendor=payload["vendor"],
            library=payload["library"], date=payload["date"], repetitions=payload["repetitions"],
            stream_array_bytes=method["array_bytes"], stream_element_bytes=method["element_bytes"],
            bandwidth_Bps={k: Stat(tuple(v["samples"])) for k, v in payload["bandwidth_Bps"].items()},
            flops_per_s={k: Stat(tuple(v["samples"])) for k, v in payload["flops_per_s"].items()},
            matmul_n=dict(payload["matmul_n"]), unsupported=dict(payload["unsupported"]),
            memory_bytes=payload["memory_bytes"], machine=dict(payload["machine"]), command=payload["command"])

    def to_json(self) -> dict:
        return {
            "device": self.device, "device_name": self.device_name, "vendor": self.vendor, "library": self.library,
            "date": self.date, "command": self.command, "repetitions": self.repetitions, "machine": self.machine,
            "memory_bytes": self.memory_bytes,
            "bandwidth_Bps": {k: v.to_json() for k, v in self.bandwidth_Bps.items()},
            "bandwidth_method": {
                "kernels": {"copy": "c = a", "triad": "a = b + s*c"},
                "array_bytes": self.stream_array_bytes, "element_bytes": self.stream_element_bytes,
                "bytes_counted": "STREAM: copy 2 arrays, triad 3 arrays per pass; write-allocate reads not counted",
            },
            "flops_per_s": {k: v.to_json() for k, v in self.flops_per_s.items()},
            "matmul_n": self.matmul_n,
            "matmul_method": "square C = A·B of order n, random inputs; 2·n³ FLOPs per call",
            "unsupported": self.unsupported,
        }


def stream_array_bytes(device: str, cache_bytes: int | None, memory: int | None) -> int:
    """Bytes per STREAM array: max(4 × last-level cache, a floor), capped at 1/8 of the device memory."""
    cache = cache_bytes or DEFAULT_LLC_BYTES
    size = max(STREAM_CACHE_MULTIPLE * cache, MIN_ARRAY_BYTES[device])
    if memory:
        size = min(size, int(memory * MAX_ARRAY_MEMORY_FRACTION))
    return int(size)


def _repeat(backend: Backend, fn: Callable[[], None], repetitions: int, progress: Progress, label: str) -> list[float]:
    backend.timed(fn)  # warm-up: page faults, clocks, library plans
    times = []
    for i in range(repetitions):
        progress.show(f"{label} {i + 1}/{repetitions}")
        times.append(backend.timed(fn))
    return times


def auto_matmul_n(backend: Backend, precision: str, target_s: float, n_min: int = 256,
                  n_max: int | None = None) -> int:
    """An order n for which one matmul takes about ``target_s`` seconds (from a timed probe), a multiple of 256."""
    n_max = n_max or (4096 if backend.device == "cpu" else 16384)
    probe = 1024 if backend.device == "cpu" else 4096
    operands = backend.allocate_matmul(probe, precision)
    backend.timed(lambda: backend.matmul(operands))
    seconds = backend.timed(lambda: backend.matmul(operands))
    del operands
    rate = matmul_flops(probe, probe, probe) / max(seconds, 1e-9)
    n = int((rate * target_s / 2) ** (1 / 3)) // 256 * 256
    return int(min(max(n, n_min), n_max))


def measure(backend: Backend, repetitions: int = 5, array_bytes: int | None = None,
            matmul_n: int | None = None, target_s: float = 0.25, progress: Progress | None = None,
            command: str = "") -> Measurement:
    """Measure ``backend``'s device: STREAM copy and triad, then a square matmul for each precision it supports.

    ``array_bytes`` (per STREAM array) defaults to :func:`stream_array_bytes`; ``matmul_n`` defaults to an order
    that takes about ``target_s`` per call. Every kernel is warmed up once, then timed ``repetitions`` times.
    """
    if repetitions < 2:
        raise ValueError("repetitions must be at least 2 (a spread needs two samples)")
    supported = backend.precisions()
    measured = [p for p in PRECISIONS if supported.get(p, "unknown") is None]
    progress = progress or Progress(2 + len(measured), enabled=False)
    size = array_bytes or stream_array_bytes(backend.device, backend.cache_bytes(), backend.memory_bytes())
    elements = max(int(size) // backend.element_bytes, 1024)
    bandwidth: dict[str, Stat] = {}
    progress.show(f"allocating 3 arrays of {elements * backend.element_bytes / MIB:,.0f} MiB", step=True)
    arrays = backend.allocate_stream(elements)
    for kernel in ("copy", "triad"):
        progress.step(kernel)
        times = _repeat(backend, lambda: getattr(backend, kernel)(arrays), repetitions, progress, kernel)
        moved = stream_bytes(kernel, elements, backend.element_bytes)
        bandwidth[kernel] = summarize(moved / t for t in times)
    del arrays
    flops: dict[str, Stat] = {}
    orders: dict[str, int] = {}
    for precision in measured:
        progress.step(f"{precision} matmul")
        n = matmul_n or auto_matmul_n(backend, precision, target_s)
        operands = backend.allocate_matmul(n, precision)
        times = _repeat(backend, lambda: backend.matmul(operands), repetitions, progress, f"{precision} matmul n={n}")
        del operands
        flops[precision] = summarize(matmul_flops(n, n, n) / t for t in times)
        orders[precision] = n
    progress.close()
    return Measurement(
        device=backend.device, device_name=backend.device_name, vendor=backend.vendor, library=backend.library,
        date=_dt.date.today().isoformat(), repetitions=repetitions, stream_array_bytes=elements * backend.element_bytes,
        stream_element_bytes=backend.element_bytes, bandwidth_Bps=bandwidth, flops_per_s=flops, matmul_n=orders,
        unsupported={p: why for p, why in supported.items() if why is not None}, memory_bytes=backend.memory_bytes(),
        machine=backend.machine(), command=command)


# --------------------------------------------------------------------------------------------------
# Datasheet rows: matching a device, measured ÷ datasheet


def _tokens(text: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", text.upper())


def match_datasheet(device_name: str, rows: Sequence[Hardware]) -> Hardware | None:
    """The datasheet row a device name refers to: the row whose first name token (``H100`` in ``H100 SXM``)
    is a token of the device name (``NVIDIA H100 80GB HBM3``), the most tokens in common winning; measured rows
    are skipped. None when no row matches."""
    device = set(_tokens(device_name))
    best, best_score = None, 0
    for row in rows:
        if MEASURED_SUFFIX in row.name:
            continue
        tokens = _tokens(row.name)
        if not tokens or tokens[0] not in device:
            continue
        score = sum(t in device for t in tokens)
        if score > best_score:
            best, best_score = row, score
    return best


def row_figures(measurement: Measurement) -> tuple[dict[str, float], dict[str, str]]:
    """The figures a hardware row takes from a measurement (SI): bandwidth and FLOP/s per row precision, with a
    note on each stand-in. bf16 falls back to fp16 (the same tensor-core rate on current accelerators), then to
    the fastest measured format (a CPU's fp32: numpy has no bf16)."""
    figures = {"hbm_bandwidth": measurement.bandwidth.median}
    notes: dict[str, str] = {}
    flops = measurement.flops_per_s
    for precision in ROW_PRECISIONS:
        if precision in flops:
            figures[precision] = flops[precision].median
    if "bf16" not in figures and flops:
        stand_in = "fp16" if "fp16" in flops else max(flops, key=lambda p: flops[p].median)
        figures["bf16"] = flops[stand_in].median
        why = measurement.unsupported.get("bf16", "bf16 not measured")
        notes["bf16"] = f"dense_bf16_TFLOPs holds the measured {stand_in} matmul rate ({why})"
    return figures, notes


def datasheet_ratios(figures: dict[str, float], sheet: Hardware) -> dict[str, float]:
    """measured ÷ datasheet for bandwidth and each precision both have (:func:`achievable_fraction`)."""
    out = {"hbm_bandwidth": float(achievable_fraction(figures["hbm_bandwidth"], sheet.hbm_bandwidth_Bps))}
    for precision in ROW_PRECISIONS:
        if precision in figures and sheet.supports(precision):
            out[precision] = float(achievable_fraction(figures[precision], sheet.flops(precision)))
    return out


# --------------------------------------------------------------------------------------------------
# The hardware.csv row


def _fmt(value: float, digits: int = 4) -> str:
    """A cell value with ``digits`` significant figures, positional (no exponent): 0.01234, 1979, 23.45."""
    return np.format_float_positional(float(value), precision=digits, unique=False, fractional=False, trim="-")


def _unmeasured(measurement: Measurement, sheet: Hardware | None) -> tuple[dict[str, str], list[str]]:
    """Cells the benchmark cannot measure (file units) and a note for each."""
    cells: dict[str, str] = {}
    notes: list[str] = []
    cpu = measurement.device == "cpu"
    memory = measurement.memory_bytes
    if memory:
        cells["hbm_capacity_GB"] = _fmt(memory / GIGA)
        notes.append(f"hbm_capacity_GB is the {'RAM' if cpu else 'device memory'} size the OS reports")
    elif sheet is not None:
        cells["hbm_capacity_GB"] = _fmt(sheet.hbm_capacity_bytes / GIGA)
        notes.append(f"hbm_capacity_GB from the datasheet row {sheet.name!r} (not measured)")
    if sheet is not None:
        cells.update(vendor=sheet.vendor, year=str(sheet.year), scale_up_domain_size=str(sheet.scale_up_domain_size),
                     scale_up_bandwidth_GBps=_fmt(sheet.scale_up_bandwidth_Bps / GIGA),
                     scale_out_bandwidth_GBps=_fmt(sheet.scale_out_bandwidth_Bps / GIGA), tdp_W=_fmt(sheet.tdp_W))
        notes.append(f"not measured, from the datasheet row {sheet.name!r}: year, scale_up_domain_size, "
                     "scale_up_bandwidth_GBps, scale_out_bandwidth_GBps, tdp_W")
        return cells, notes
    cells["vendor"] = measurement.vendor or "unknown"
    cells["year"] = measurement.date[:4]
    notes.append("year is the year of the measurement, not of the device's release")
    cells["scale_up_domain_size"] = "1"
    if cpu:
        cells["scale_up_bandwidth_GBps"] = _fmt(measurement.bandwidth.median / GIGA)
        notes.append("not measured: scale_up_domain_size 1 (one CPU is its own domain); scale_up_bandwidth_GBps "
                     "stands in with the measured memory bandwidth (the domain has no links)")
    else:
        cells["scale_up_bandwidth_GBps"] = _fmt(64.0)
        notes.append("not measured: scale_up_domain_size 1 (no peers measured); scale_up_bandwidth_GBps 64 "
                     "assumes a PCIe 5.0 x16 link (64 GB/s one way)")
    link, where = network_link_Bps()
    if link:
        cells["scale_out_bandwidth_GBps"] = _fmt(link / GIGA)
        notes.append(f"scale_out_bandwidth_GBps is the {where} (a rated speed, not measured)")
    else:
        cells["scale_out_bandwidth_GBps"] = _fmt(ASSUMED_LINK_Bps / GIGA)
        notes.append(f"not measured: scale_out_bandwidth_GBps assumes 10 GbE ({where})")
    if cpu:
        power, where = package_power_W()
        cores = measurement.machine.get("cores") or cpu_count()
        if power:
            cells["tdp_W"] = _fmt(power)
            notes.append(f"tdp_W is the {where} (not measured)")
        else:
            cells["tdp_W"] = _fmt(ASSUMED_CPU_WATTS_PER_CORE * cores)
            notes.append(f"not measured: tdp_W assumes {ASSUMED_CPU_WATTS_PER_CORE:g} W per core × {cores} cores "
                         f"({where})")
    else:
        cells["tdp_W"] = _fmt(700.0)
        notes.append("not measured: tdp_W 700 assumes a data-centre GPU's board power")
    return cells, notes


def default_row_name(measurement: Measurement) -> str:
    """``"<device name> (measured)"``; a CPU's name carries its core count (a VM may have only a few)."""
    name = measurement.device_name
    if measurement.device == "cpu":
        name += f" {measurement.machine.get('cores') or cpu_count()}-core"
    return f"{name} {MEASURED_SUFFIX}"


def _numeric_columns() -> list[str]:
    return [c.name for c in data.HARDWARE_SCHEMA.columns if c.kind in ("float", "int") and c.name != "year"]


def _waived(row: dict) -> set[str]:
    return {c.strip() for c in str(row.get("accept_extreme") or "").split(";") if c.strip()}


def columns_outside_book_span(cells: dict[str, str], reference_dir: Path | str | None = None) -> list[str]:
    """Numeric columns whose value lies outside the span of the book's own accelerator rows.

    Plausibility ranges are set to admit every datasheet row of the book, so a value inside the span passes
    them; a CPU's bandwidth or FLOP/s lies far below it. The row lists these columns in ``accept_extreme``."""
    rows = data.read_table(data.HARDWARE_SCHEMA, reference_dir or data.DEFAULT_DATA_DIR)
    out = []
    for column in _numeric_columns():
        text = cells.get(column, "")
        if not text:
            continue
        values = [r[column] for r in rows if r[column] is not None and MEASURED_SUFFIX not in r["name"]
                  and column not in _waived(r)]
        if values and not (min(values) <= float(text) <= max(values)):
            out.append(column)
    return out


def hardware_row(measurement: Measurement, name: str | None = None, sheet: Hardware | None = None,
                 reference_dir: Path | str | None = None) -> dict[str, str]:
    """The measurement as a hardware.csv row (file units, every column of the schema plus ``notes`` and
    ``accept_extreme``). Unmeasurable cells come from the datasheet row ``sheet`` when given, else from the OS or
    documented assumptions; ``notes`` says which is which."""
    figures, stand_ins = row_figures(measurement)
    cells, notes = _unmeasured(measurement, sheet)
    cells["name"] = name or default_row_name(measurement)
    cells["hbm_bandwidth_TBps"] = _fmt(figures["hbm_bandwidth"] / TERA)
    for precision in ROW_PRECISIONS:
        cells[f"dense_{precision}_TFLOPs"] = _fmt(figures[precision] / TERA) if precision in figures else ""
    spread = ", ".join(f"{k} ±{v.relative_spread / 2:.1%}" for k, v in
                       [("bandwidth", measurement.bandwidth)] + list(measurement.flops_per_s.items()))
    measured = (f"Measured on {measurement.date}: hbm_bandwidth_TBps = STREAM triad median (bytes counted the "
                f"STREAM way, 3 arrays of {measurement.stream_array_bytes / MIB:,.0f} MiB), dense_*_TFLOPs = matmul "
                f"medians; half-spread of {measurement.repetitions} repetitions: {spread}")
    missing = [p for p in ROW_PRECISIONS if p not in figures]
    if missing:
        notes.append(f"blank {', '.join('dense_' + p + '_TFLOPs' for p in missing)}: "
                     + "; ".join(f"{p}: {measurement.unsupported.get(p, 'not measured')}" for p in missing))
    cells["notes"] = ". ".join([measured] + list(stand_ins.values()) + notes) + "."
    machine = measurement.machine
    where = (f"{machine.get('cpu_model', measurement.device_name)}, {machine.get('cores', '?')} cores, "
             f"{(machine.get('memory_bytes') or 0) / GIGA:.0f} GB RAM" if measurement.device == "cpu"
             else f"{measurement.device_name} ({(measurement.memory_bytes or 0) / GIGA:.0f} GB), host "
                  f"{machine.get('host_cpu', '?')}")
    cells["source"] = (f"benchmark `{measurement.command or 'python -m lib measure'}` (lib.measure: STREAM copy/triad "
                       f"and square matmul) on {measurement.date}; machine: {where}; {measurement.library}; "
                       f"{machine.get('os', platform.system())}")
    # A first-hand measurement is the originator's own record: primary, with the method in source (lib.data's
    # PROVENANCE). The cells it could not measure are named in notes (datasheet, OS or assumed).
    cells["provenance"] = MEASURED_PROVENANCE
    cells["accept_extreme"] = ";".join(columns_outside_book_span(cells, reference_dir))
    order = [c.name for c in data.HARDWARE_SCHEMA.columns] + ["notes", "accept_extreme"]
    return {column: cells.get(column, "") for column in order}


#: The provenance of a measured hardware.csv row: the measurement is first-hand (see lib.data.PROVENANCE).
MEASURED_PROVENANCE = "primary"

#: Tables a data directory must hold; copied from the book's data when the target lacks them.
REQUIRED_TABLES = ("hardware.csv", "models.csv")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise DataError([Problem(str(path), 1, None, None, None, "a header line")])
    return [h.strip() for h in rows[0]], rows[1:]


def merged_table(path: Path, row: dict[str, str]) -> tuple[list[str], list[list[str]], bool]:
    """hardware.csv at ``path`` with ``row`` added, or replacing the row of the same name; returns the header,
    the rows and whether a row was replaced. Optional columns the file lacks (``notes``, ``accept_extreme``) are
    added, blank for the other rows; columns only the file has are left blank in the new row. A schema column the
    file lacks (an old file without ``provenance``) is not added: blank for every other row it would be a problem
    per row, and left out it is the one problem that names the column and the file."""
    header, body = _read_csv(path)
    for column in ("notes", "accept_extreme"):
        if column not in header and row.get(column):
            header.append(column)
            body = [cells + [""] if any(c.strip() for c in cells) else cells for cells in body]
    key = header.index("name")
    new = [row.get(column, "") for column in header]
    replaced = False
    for i, cells in enumerate(body):
        if len(cells) > key and cells[key].strip() == row["name"]:
            body[i] = new
            replaced = True
    if not replaced:
        body.append(new)
    return header, body, replaced


def write_row(row: dict[str, str], out_dir: Path | str, reference_dir: Path | str | None = None) -> tuple[Path, bool]:
    """Write ``row`` into ``out_dir/hardware.csv`` (replacing a row of the same name) after validating the
    result with the checks ``check-data`` runs; return the path and whether a row was replaced.

    A directory without ``hardware.csv``/``models.csv`` first gets the book's copies, so it is a complete data
    directory (other tables fall back to the book's, see :func:`lib.data.table_dir`). Raises
    :class:`~lib.data.DataError` (naming the target file) and writes nothing if the result is invalid.
    """
    out = Path(out_dir).expanduser().resolve()
    reference = Path(reference_dir or data.DEFAULT_DATA_DIR)
    out.mkdir(parents=True, exist_ok=True)
    for table in REQUIRED_TABLES:
        if not (out / table).is_file():
            shutil.copyfile(reference / table, out / table)
    target = out / "hardware.csv"
    header, body, replaced = merged_table(target, row)
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "hardware.csv"
        with candidate.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows([header] + body)
        try:
            data.read_table(data.HARDWARE_SCHEMA, scratch)  # the checks check-data runs on hardware.csv
            data.load_hardware(scratch)  # and the typed rows the chapters load
        except DataError as error:
            raise DataError([dataclasses.replace(p, file=str(target)) for p in error.problems]) from None
        finally:
            data.clear_cache()
        temporary = out / f".hardware.csv.{os.getpid()}.tmp"
        shutil.copyfile(candidate, temporary)
        os.replace(temporary, target)
    data.clear_cache()
    return target, replaced


# --------------------------------------------------------------------------------------------------
# Published measurements: data/measured_hardware.csv


def _date_is_partial_iso(row: dict) -> Iterable[tuple[str, object, str]]:
    if row["date"] is not None and not PARTIAL_DATE.match(row["date"]):
        yield ("date", row["date"], "a date YYYY, YYYY-MM or YYYY-MM-DD")


#: The figure columns of measured_hardware.csv, each with the hardware.csv column it is compared with.
FIGURE_COLUMNS = {"hbm_bandwidth_TBps": "hbm_bandwidth", "dense_bf16_TFLOPs": "bf16", "dense_fp8_TFLOPs": "fp8",
                  "dense_fp4_TFLOPs": "fp4"}
QUANTITY_LABELS = {"hbm_bandwidth": "HBM bandwidth", "bf16": "dense bf16 matmul", "fp8": "dense fp8 matmul",
                   "fp4": "dense fp4 matmul"}


def _at_least_one_figure(row: dict) -> Iterable[tuple[str, object, str]]:
    if all(row[c] is None for c in FIGURE_COLUMNS):
        yield ("hbm_bandwidth_TBps", None, "at least one measured figure (" + ", ".join(FIGURE_COLUMNS) + ")")


MEASURED_SCHEMA = register_schema(TableSchema(
    file="measured_hardware.csv",
    columns=(
        Column("name", "str", meaning="the measurement's name: hardware row, who measured"),
        Column("hardware", "str", meaning="the name of the row of hardware.csv this measures"),
        Column("measured_on", "str", meaning="the device and system measured"),
        Column("date", "str", meaning="YYYY, YYYY-MM or YYYY-MM-DD"),
        Column("method", "str", meaning="the benchmark and how its figure was taken"),
        Column("hbm_bandwidth_TBps", required=False, positive=True, factor=TERA,
               meaning="measured TB/s = 1e12 bytes/s, blank if not measured", plausible=HARDWARE_RANGES["hbm_bandwidth_TBps"]),
        Column("dense_bf16_TFLOPs", required=False, positive=True, factor=TERA,
               meaning="measured dense TFLOP/s, blank if not measured", plausible=HARDWARE_RANGES["dense_bf16_TFLOPs"]),
        Column("dense_fp8_TFLOPs", required=False, positive=True, factor=TERA,
               meaning="measured dense TFLOP/s, blank if not measured", plausible=HARDWARE_RANGES["dense_fp8_TFLOPs"]),
        Column("dense_fp4_TFLOPs", required=False, positive=True, factor=TERA,
               meaning="measured dense TFLOP/s, blank if not measured", plausible=HARDWARE_RANGES["dense_fp4_TFLOPs"]),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(_date_is_partial_iso, _at_least_one_figure),
    references=(("hardware", "hardware.csv"),),
))


def measured_table_dir(data_dir: Path | str | None = None) -> Path:
    """Where measured_hardware.csv is read from: the reader's directory if it has one, else the book's."""
    return data.table_dir(MEASURED_SCHEMA.file, data_dir)


def fractions(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every published measurement against its datasheet row: one row per measured figure with the measured and
    datasheet values (SI), η = measured ÷ datasheet, and the measurement's date, method and source.

    Raises :class:`~lib.data.DataError` for a figure above its datasheet peak (a unit slip or the wrong row)."""
    directory = measured_table_dir(data_dir)
    rows = data.read_table(MEASURED_SCHEMA, directory)
    sheets = {h.name: h for h in data.load_hardware(directory)}
    records, problems = [], []
    for row in rows:
        sheet = sheets[row["hardware"]]
        for column, quantity in FIGURE_COLUMNS.items():
            if row[column] is None:
                continue
            measured = row[column] * MEASURED_SCHEMA.column(column).factor
            if quantity == "hbm_bandwidth":
                peak = sheet.hbm_bandwidth_Bps
            elif sheet.supports(quantity):
                peak = sheet.flops(quantity)
            else:
                problems.append(Problem(str(directory / MEASURED_SCHEMA.file), row["_line"], row["name"], column,
                                        str(row[column]), f"blank: hardware.csv row {sheet.name!r} has no {quantity}"))
                continue
            fraction = float(achievable_fraction(measured, peak))
            if fraction > 1.0:
                problems.append(Problem(str(directory / MEASURED_SCHEMA.file), row["_line"], row["name"], column,
                                        str(row[column]), f"at most the datasheet's {peak / TERA:g} (hardware.csv row "
                                        f"{sheet.name!r}): a measurement above the peak is a unit slip or the wrong row"))
                continue
            records.append({"measurement": row["name"], "hardware": sheet.name, "vendor": sheet.vendor,
                            "quantity": quantity, "label": QUANTITY_LABELS[quantity], "measured": measured,
                            "datasheet": peak, "fraction": fraction, "date": row["date"],
                            "measured_on": row["measured_on"], "method": row["method"], "source": row["source"]})
    if problems:
        raise DataError(problems)
    columns = ["measurement", "hardware", "vendor", "quantity", "label", "measured", "datasheet", "fraction", "date",
               "measured_on", "method", "source"]
    return pd.DataFrame(records, columns=columns)


def typical_fractions(frame: pd.DataFrame) -> dict[str, float]:
    """The median η per quantity over the published measurements (bandwidth, bf16, fp8, fp4 where present)."""
    return {q: float(frame.loc[frame["quantity"] == q, "fraction"].median())
            for q in FIGURE_COLUMNS.values() if (frame["quantity"] == q).any()}


def derate(hardware: Hardware, bandwidth_fraction: float, flops_fraction: float | dict[str, float]) -> Hardware:
    """The row a benchmark would see: W_hbm × η_W and each F × η_F (one η_F, or one per precision).

    The step model on the derated row gives achievable (not ideal) times; the ridge moves by η_F ÷ η_W."""
    per = flops_fraction if isinstance(flops_fraction, dict) else {p: flops_fraction for p in hardware.flops_per_s}
    for fraction in [bandwidth_fraction, *per.values()]:
        if not 0 < fraction <= 1:
            raise ValueError(f"an achievable fraction lies in (0, 1], got {fraction}")
    return dataclasses.replace(
        hardware, name=f"{hardware.name} (achievable)", hbm_bandwidth_Bps=hardware.hbm_bandwidth_Bps * bandwidth_fraction,
        flops_per_s={p: f * per.get(p, 1.0) for p, f in hardware.flops_per_s.items()})


# --------------------------------------------------------------------------------------------------
# The command line: python -m lib measure


#: Where a measured row goes when neither --out, --data-dir nor $BOOK_DATA_DIR names a directory.
DEFAULT_OUT_DIR = "my-data"


def output_dir(out: str | None, data_dir: str | None) -> Path:
    """--out, else --data-dir, else $BOOK_DATA_DIR, else ./my-data (never the book's own data/ unless named)."""
    return Path(out or data_dir or os.environ.get(data.ENV_DATA_DIR) or DEFAULT_OUT_DIR).expanduser().resolve()


def _si_rate(value: float, unit: str) -> str:
    from .units import si

    return si(value, unit)


def report_lines(measurement: Measurement) -> list[str]:
    """The human-readable table of a measurement: median, min–max and relative spread of each figure."""
    lines = [f"Measured {measurement.device_name} ({measurement.device}) with {measurement.library}, "
             f"{measurement.repetitions} repetitions after a warm-up, {measurement.date}:"]
    rows = [(f"{k} bandwidth", v, "B/s") for k, v in measurement.bandwidth_Bps.items()]
    rows += [(f"{p} matmul n={measurement.matmul_n[p]}", v, "FLOP/s") for p, v in measurement.flops_per_s.items()]
    width = max(len(r[0]) for r in rows)
    lines.append(f"  {'':{width}}  {'median':>12}  {'min – max':>25}  spread")
    for label, stat, unit in rows:
        span = f"{_si_rate(stat.low, unit)} – {_si_rate(stat.high, unit)}"
        lines.append(f"  {label:{width}}  {_si_rate(stat.median, unit):>12}  {span:>25}  {stat.relative_spread:.1%}")
    lines.append(f"  bandwidth: bytes counted the STREAM way (copy 2, triad 3 arrays of "
                 f"{measurement.stream_array_bytes / MIB:,.0f} MiB; write-allocate not counted)")
    if measurement.unsupported:
        lines.append("  not measured: " + "; ".join(f"{p}: {why}" for p, why in measurement.unsupported.items()))
    return lines


def run_cli(args, stdout=None, stderr=None, backend: Backend | None = None) -> int:
    """``python -m lib measure``: measure, print (a table, or JSON with --json), compare with a matching
    datasheet row, and write the row into the output directory. Returns the exit status (2: cannot measure)."""
    import json

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        backend = backend or get_backend(args.device, threads=getattr(args, "threads", None))
    except BackendUnavailable as error:
        print(f"error: {error}", file=stderr)
        return 2
    out_dir = output_dir(args.out, getattr(args, "data_dir", None))
    reference = out_dir if (out_dir / "hardware.csv").is_file() else data.DEFAULT_DATA_DIR
    if args.datasheet:
        sheet = data.get_hardware(args.datasheet, reference)
    else:
        sheet = match_datasheet(backend.device_name, data.load_hardware(reference))
    command = "python -m lib measure " + " ".join(
        a for a in (f"--device {args.device}", f"--repetitions {args.repetitions}" if args.repetitions != 5 else "",
                    f"--array-MiB {args.array_MiB:g}" if args.array_MiB else "",
                    f"--matmul-n {args.matmul_n}" if args.matmul_n else "",
                    f"--threads {args.threads}" if getattr(args, "threads", None) else "") if a)
    supported = backend.precisions()
    progress = Progress(2 + sum(supported.get(p, "x") is None for p in PRECISIONS), stream=stderr,
                        enabled=not args.quiet)
    try:
        measurement = measure(backend, repetitions=args.repetitions,
                              array_bytes=int(args.array_MiB * MIB) if args.array_MiB else None,
                              matmul_n=args.matmul_n, progress=progress, command=command)
    finally:
        backend.release()
    row = hardware_row(measurement, args.name, sheet)
    figures, _ = row_figures(measurement)
    ratios = datasheet_ratios(figures, sheet) if sheet is not None else None
    written, replaced = (None, False)
    if not args.no_write:
        written, replaced = write_row(row, out_dir)
    if args.json:
        payload = measurement.to_json()
        payload["row"] = row
        payload["written_to"] = str(written) if written else None
        payload["replaced"] = replaced
        payload["datasheet"] = None if sheet is None else {"name": sheet.name, "measured_over_datasheet": ratios}
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=stdout)
        return 0
    for line in report_lines(measurement):
        print(line, file=stdout)
    if sheet is None:
        print(f"No datasheet row of {reference / 'hardware.csv'} matches {measurement.device_name!r}: nothing to "
              "compare (name one with --datasheet).", file=stdout)
    else:
        parts = ", ".join(f"{QUANTITY_LABELS[q]} {r:.2f}" for q, r in ratios.items())
        print(f"measured ÷ datasheet ({sheet.name!r}): {parts}", file=stdout)
    if written:
        verb = "replaced the row" if replaced else "added the row"
        print(f"{verb} {row['name']!r} in {written}", file=stdout)
        print(f"rebuild the book on it:  BOOK_DATA_DIR={out_dir} BOOK_HARDWARE=\"{row['name']}\" make book",
              file=stdout)
    return 0
