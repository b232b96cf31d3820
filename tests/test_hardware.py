"""Hardware rows and derived ratios against hand calculations and published figures."""

import math

import numpy as np
import pytest

from lib import data
from lib.hardware import hbm_drain_time_s, ridge_flop_per_byte


def test_h100_ridge_and_drain_match_datasheet_arithmetic():
    h100 = data.get_hardware("H100 SXM")
    # NVIDIA H100 SXM datasheet: 989 dense bf16 TFLOP/s, 3.35 TB/s, 80 GB.
    assert h100.ridge_flop_per_byte == pytest.approx(989e12 / 3.35e12, rel=1e-12)
    assert h100.ridge_flop_per_byte == pytest.approx(295.2, abs=0.1)
    assert h100.hbm_drain_time_s == pytest.approx(80e9 / 3.35e12)
    assert h100.hbm_drain_time_s == pytest.approx(0.0239, abs=1e-4)


def test_units_are_si_after_loading():
    h100 = data.get_hardware("H100 SXM")
    assert h100.hbm_capacity_bytes == 80e9
    assert h100.hbm_bandwidth_Bps == 3.35e12
    assert h100.flops("bf16") == 989e12
    assert h100.flops("fp8") == 1979e12
    assert h100.scale_up_bandwidth_Bps == 450e9


def test_unsupported_precision_is_a_clear_error():
    a100 = data.get_hardware("A100 SXM 80GB")
    assert not a100.supports("fp8")
    with pytest.raises(ValueError, match="A100 SXM 80GB.*fp8"):
        a100.flops("fp8")
    with pytest.raises(ValueError, match="unknown precision"):
        a100.flops("int3")


def test_domain_totals_scale_with_domain_size():
    gb200 = data.get_hardware("GB200 NVL72")
    assert gb200.domain_hbm_capacity_bytes == pytest.approx(72 * gb200.hbm_capacity_bytes)
    assert gb200.domain_hbm_bandwidth_Bps == pytest.approx(72 * 8e12)


def test_vectorised_helpers_broadcast():
    caps = np.array([80e9, 141e9])
    bws = np.array([3.35e12, 4.8e12])
    np.testing.assert_allclose(hbm_drain_time_s(caps, bws), caps / bws)
    np.testing.assert_allclose(ridge_flop_per_byte(989e12, bws), 989e12 / bws)


def test_every_row_has_positive_finite_ratios():
    for hw in data.load_hardware():
        assert math.isfinite(hw.ridge_flop_per_byte) and hw.ridge_flop_per_byte > 0
        assert 1e-3 < hw.hbm_drain_time_s < 1.0, hw.name


def test_hbm_errata_gb300_and_tpu_gib():
    hw = {h.name: h for h in data.load_hardware()}
    # NVIDIA's GB300 NVL72 table: 279 GB HBM3e per GPU (not the 288 GB raw stack capacity).
    assert hw["GB300 NVL72"].hbm_capacity_bytes == 279e9
    # Google gives v5p, Trillium and Ironwood HBM in GiB (95, 32, 192): x 1.073741824 GB each, rounded to MB.
    for name, gib in (("TPU v5p", 95), ("TPU Trillium", 32), ("TPU Ironwood", 192)):
        assert hw[name].hbm_capacity_bytes == pytest.approx(gib * 2**30, abs=1e6), name
    assert hw["TPU v5e"].hbm_capacity_bytes == 16e9  # Google's v5e page gives 16 GB and no GiB figure
