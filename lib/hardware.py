"""Accelerators and their scale-up domains: ridge point, HBM drain time, domain totals.

Notation (see the book's notation page): F is dense FLOP/s at a precision, W_hbm the HBM bandwidth in
bytes/s, C_hbm the HBM capacity in bytes. Every quantity is in SI units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .units import COMPUTE_PRECISIONS


@dataclass(frozen=True)
class Hardware:
    """One accelerator package (a GPU or a TPU chip), in SI units.

    ``flops_per_s`` maps a precision (``"bf16"``, ``"fp8"``, ``"fp4"``) to dense FLOP/s; a precision the
    chip does not support is absent. Bandwidths are per accelerator and one direction.
    """

    name: str
    vendor: str
    year: int
    hbm_capacity_bytes: float
    hbm_bandwidth_Bps: float
    flops_per_s: dict[str, float]
    scale_up_domain_size: int
    scale_up_bandwidth_Bps: float
    scale_out_bandwidth_Bps: float
    tdp_W: float
    source: str
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def flops(self, precision: str = "bf16") -> float:
        """Dense FLOP/s at ``precision``; a ValueError naming the row if the chip has no such format."""
        if precision not in COMPUTE_PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; expected one of {', '.join(COMPUTE_PRECISIONS)}")
        if precision not in self.flops_per_s:
            supported = ", ".join(self.flops_per_s) or "none"
            raise ValueError(
                f"hardware {self.name!r} has no dense {precision} FLOP/s in the data "
                f"(supported here: {supported})"
            )
        return self.flops_per_s[precision]

    def supports(self, precision: str) -> bool:
        """True if the row quotes dense FLOP/s for ``precision``."""
        return precision in self.flops_per_s

    @property
    def ridge_flop_per_byte(self) -> float:
        """Dense bf16 FLOP/s ÷ HBM bytes/s (eq. ridge): the arithmetic intensity where compute = memory time."""
        return ridge_flop_per_byte(self.flops("bf16"), self.hbm_bandwidth_Bps)

    @property
    def hbm_drain_time_s(self) -> float:
        """C_hbm / W_hbm: seconds to read the whole HBM once."""
        return hbm_drain_time_s(self.hbm_capacity_bytes, self.hbm_bandwidth_Bps)

    @property
    def domain_hbm_capacity_bytes(self) -> float:
        """HBM capacity summed over the scale-up domain."""
        return self.hbm_capacity_bytes * self.scale_up_domain_size

    @property
    def domain_hbm_bandwidth_Bps(self) -> float:
        """HBM bandwidth summed over the scale-up domain."""
        return self.hbm_bandwidth_Bps * self.scale_up_domain_size

    @property
    def scale_up_to_out_ratio(self) -> float:
        """Per-accelerator scale-up bandwidth ÷ scale-out bandwidth (how much faster NVLink/ICI is)."""
        return self.scale_up_bandwidth_Bps / self.scale_out_bandwidth_Bps


def ridge_flop_per_byte(flops_per_s: np.ndarray | float, bandwidth_Bps: np.ndarray | float) -> np.ndarray | float:
    """Ridge point F / W_hbm in FLOP per byte: above it a kernel is compute bound, below it memory bound."""
    return np.divide(flops_per_s, bandwidth_Bps)


def hbm_drain_time_s(capacity_bytes: np.ndarray | float, bandwidth_Bps: np.ndarray | float) -> np.ndarray | float:
    """C_hbm / W_hbm in seconds: the time to read every byte of HBM once (the talk's "train" period)."""
    return np.divide(capacity_bytes, bandwidth_Bps)
