"""Memory and storage tiers (HBM, host DRAM, flash, spinning disk): drain time and break-even residence time.

``data/memory_tiers.csv`` lists devices and serving-node aggregates with capacity C (bytes), bandwidth W
(bytes/s) and, where public, a price P (USD). For a tier:

- **drain time** T = C / W: the seconds to read every byte once (eq. prices-drain);
- **capacity price** c = P / C (USD per byte) and **bandwidth price** β = P / W (USD per byte/s);
- **break-even residence time**, after Gray and Putzolu's five-minute rule: keeping x bytes in a tier costs
  c · x of capacity; fetching them again every τ seconds from elsewhere needs x / τ bytes/s of bandwidth that
  costs β_elsewhere · x / τ. Reading them from the tier itself needs β_tier · x / τ. Keep the bytes while

      c · x + β_tier · x / τ < β_elsewhere · x / τ    ⇔    τ < τ* = (β_elsewhere − β_tier) / c      (eq. prices-gray)

  For a KV cache "elsewhere" is recomputation by prefill, whose bandwidth price is the accelerator's price over
  the KV bytes per second prefill regenerates, F · b_kv / (2 N_active). Note that T = β / c for one device:
  a drain time is itself a break-even interval, between a device's own capacity and its own bandwidth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import (YEARS, Column, Plausible, as_of_is_a_date, provenance_column, TableSchema, read_table,
                   register_schema, table_dir)
from .roofline import ArrayLike
from .units import duration as human_duration  # noqa: F401  (re-exported for chapters)
from .units import GIGA

TIERS: tuple[str, ...] = ("hbm", "dram", "flash", "disk")
SCOPES: tuple[str, ...] = ("device", "node")

def _price_is_dated(row: dict):
    """Row check: a price carries the date it was read (memory prices move: a 2025 DRAM kit cost twice the
    standard DDR5 price per GB of the same report)."""
    if row["price_USD"] is not None and row["as_of"] is None:
        yield ("as_of", None, "the date of the price (YYYY, YYYY-MM or YYYY-MM-DD): a price without one cannot be "
                              "compared with another")


MEMORY_TIERS_SCHEMA = register_schema(TableSchema(
    file="memory_tiers.csv",
    columns=(
        Column("name", "str"),
        Column("tier", "enum", choices=TIERS),
        Column("scope", "enum", choices=SCOPES),
        Column("capacity_GB", positive=True, factor=GIGA, meaning="GB = 1e9 bytes",
               plausible=Plausible(0.1, 1e8, "GB", ("prefix",))),
        Column("bandwidth_GBps", positive=True, factor=GIGA, meaning="GB/s = 1e9 bytes/s, sequential read",
               plausible=Plausible(0.01, 200_000, "GB/s", ("prefix",))),
        Column("price_USD", required=False, positive=True, meaning="USD per device, blank if unpublished",
               plausible=Plausible(1, 1e8, "USD")),
        Column("as_of", "str", required=False,
               meaning="when the price was read or reported, YYYY, YYYY-MM or YYYY-MM-DD; required with a price"),
        Column("shared_by_accelerators", "int", positive=True,
               meaning="accelerators that share this capacity and bandwidth",
               plausible=Plausible(1, 1e6, "accelerators", ())),
        Column("year", "int", minimum=1990, plausible=YEARS, meaning="the device's release year (not the price's date)"),
        Column("source", "str", meaning="an address or citation"),
        provenance_column(),
    ),
    row_checks=(as_of_is_a_date, _price_is_dated),
))


@dataclass(frozen=True)
class MemoryTier:
    """One device or node-level tier, in SI units (bytes, bytes/s, USD)."""

    name: str
    tier: str
    scope: str
    capacity_bytes: float
    bandwidth_Bps: float
    price_usd: float | None
    shared_by_accelerators: int
    year: int
    source: str
    price_as_of: str | None = None  # when the price was read (YYYY, YYYY-MM or YYYY-MM-DD)

    @property
    def drain_time_s(self) -> float:
        """T = C / W (seconds)."""
        return float(drain_time_s(self.capacity_bytes, self.bandwidth_Bps))

    @property
    def usd_per_byte(self) -> float | None:
        """Capacity price c = P / C, or None without a price."""
        return None if self.price_usd is None else self.price_usd / self.capacity_bytes

    @property
    def usd_per_Bps(self) -> float | None:
        """Bandwidth price β = P / W, or None without a price."""
        return None if self.price_usd is None else self.price_usd / self.bandwidth_Bps

    @property
    def bandwidth_per_accelerator_Bps(self) -> float:
        """W / (accelerators sharing the tier)."""
        return self.bandwidth_Bps / self.shared_by_accelerators


def load_memory_tiers(data_dir: Path | str | None = None) -> list[MemoryTier]:
    """Every row of ``memory_tiers.csv`` (validated) in SI units, in file order."""
    out = []
    for r in read_table(MEMORY_TIERS_SCHEMA, table_dir(MEMORY_TIERS_SCHEMA.file, data_dir)):
        out.append(MemoryTier(r["name"], r["tier"], r["scope"], r["capacity_GB"] * GIGA, r["bandwidth_GBps"] * GIGA,
                              r["price_USD"], r["shared_by_accelerators"], r["year"], r["source"], r["as_of"]))
    return out


def drain_time_s(capacity_bytes: ArrayLike, bandwidth_Bps: ArrayLike) -> np.ndarray:
    """T = C / W in seconds: the time to read a tier once end to end (eq. prices-drain)."""
    c, w = np.asarray(capacity_bytes, dtype=float), np.asarray(bandwidth_Bps, dtype=float)
    if np.any(c <= 0) or np.any(w <= 0):
        raise ValueError("capacity and bandwidth must be > 0")
    return c / w


def recompute_bandwidth_Bps(flops_per_s: ArrayLike, active_params: ArrayLike, kv_bytes_per_token: ArrayLike
                            ) -> np.ndarray:
    """KV bytes per second one accelerator regenerates by prefill: F · b_kv / (2 · N_active)."""
    f, n, b = (np.asarray(x, dtype=float) for x in (flops_per_s, active_params, kv_bytes_per_token))
    if np.any(f <= 0) or np.any(n <= 0) or np.any(b <= 0):
        raise ValueError("FLOP/s, active params and KV bytes per token must be > 0")
    return f * b / (2.0 * n)


def break_even_interval_s(usd_per_byte: ArrayLike, usd_per_Bps_elsewhere: ArrayLike,
                          usd_per_Bps_tier: ArrayLike = 0.0) -> np.ndarray:
    """τ* = (β_elsewhere − β_tier) / c (eq. prices-gray): keep bytes in the tier if re-read more often than τ*.

    0 where reading from the tier costs more bandwidth money than fetching or recomputing elsewhere
    (the tier never pays). Gray and Putzolu's five-minute rule is this with β_tier = 0 and β_elsewhere
    = a disk's price ÷ its accesses per second.
    """
    c = np.asarray(usd_per_byte, dtype=float)
    if np.any(c <= 0):
        raise ValueError("the capacity price (USD per byte) must be > 0")
    gain = np.asarray(usd_per_Bps_elsewhere, dtype=float) - np.asarray(usd_per_Bps_tier, dtype=float)
    return np.maximum(gain, 0.0) / c


def reload_to_recompute_ratio(kv_bytes_per_token: ArrayLike, bandwidth_per_accelerator_Bps: ArrayLike,
                              flops_per_s: ArrayLike, active_params: ArrayLike) -> np.ndarray:
    """Time to load one token's KV from a tier ÷ time to recompute it by prefill, per accelerator:

        (b_kv / W_tier) / (2 · N_active / F)

    Below 1 a cache hit saves accelerator time; the price sheet's 1/10 is covered where it is ≤ 0.1.
    """
    b, w, f, n = (np.asarray(x, dtype=float) for x in (kv_bytes_per_token, bandwidth_per_accelerator_Bps,
                                                     flops_per_s, active_params))
    if np.any(w <= 0) or np.any(f <= 0) or np.any(n <= 0) or np.any(b < 0):
        raise ValueError("bandwidth, FLOP/s and active params must be > 0, KV bytes ≥ 0")
    return (b / w) / (2.0 * n / f)


