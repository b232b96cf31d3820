"""lib.power: throughput per watt, cost per token, owner cost, Amdahl, grid slack, radiators; its four tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib import assumptions, claims, data, power, roofline
from lib.data import DataError
from lib.derivations import scaling_power


def test_blackboard_throughput_at_b_star_is_the_compute_floor():
    """At B* and zero context compute time = weight time, so τ = F / (2 N_active) per chip (H100, DeepSeek-V3)."""
    sel = data.selection()
    t = power.blackboard_throughput(sel.hardware, sel.model, "bf16")
    assert t.tokens_per_s_per_chip == pytest.approx(989e12 / (2 * 37e9), rel=1e-9)  # 13,365 tokens/s
    assert t.tokens_per_s_per_W == pytest.approx(13365.1 / 700, rel=1e-4)
    assert t.batch == pytest.approx(989 / 3.35 * 671 / 37, rel=1e-9)  # ridge × sparsity ≈ 5,354
    fp8 = power.blackboard_throughput(sel.hardware, sel.model, "fp8")
    assert fp8.tokens_per_s_per_W / t.tokens_per_s_per_W == pytest.approx(2.0, rel=1e-3)
    assert power.lowest_precision(sel.hardware) == "fp8"


def test_serving_throughput_at_the_standard_mode_by_hand():
    """DeepSeek-V3 in FP8 (671.03 GB) on H100s whose usable HBM (90% of 80 GB) the weights fill to one half:
    n = ⌈671.03 / (0.5 × 72)⌉ = 19; the KV cache at 4,989 tokens is 4,989 × (512 + 64) × 61 layers × 1 byte =
    175.3 MB a sequence, so B = ⌊(19 × 72 GB − 671.03 GB) / 175.3 MB⌋ = 3,976; τ = B / (n · t_step)."""
    sel = data.selection()
    hw, model = sel.hardware, sel.model
    t = power.serving_throughput(hw, model, 4989.0, None, 0.5)
    assert t.chips == 19 and t.precision == "fp8"
    assert t.batch == (0.9 * 19 * 80e9 - 671_025_397_760) // (4989 * 35_136) == 3976
    step = roofline.decode_step(hw, model, 3976.0, 4989.0, roofline.as_precisions(model, None, "fp8"), chips=19)
    assert t.tokens_per_s_per_chip == pytest.approx(3976 / (19 * float(step.step_s)))
    # Attention over 4,989 tokens of MLA context costs more FLOPs than the weights: half the blackboard's τ.
    board = power.blackboard_throughput(hw, model, "bf16")
    assert 0.3 < t.tokens_per_s_per_chip / board.tokens_per_s_per_chip < 0.7
    assert t.bound == "compute"


def test_serving_throughput_falls_with_context_and_weights_format_is_named():
    sel = data.selection()
    short = power.serving_throughput(sel.hardware, sel.model, 1024.0)
    long = power.serving_throughput(sel.hardware, sel.model, 32768.0)
    assert long.tokens_per_s_per_chip < short.tokens_per_s_per_chip and long.batch < short.batch
    h = sel.hardware_named("B200")
    assert power.weight_format(h, sel.model, "narrowest") == "fp4"
    assert power.weight_format(h, sel.model, "release") is None and power.weight_format(h, sel.model, "bf16") == "bf16"
    with pytest.raises(ValueError):
        power.weight_format(h, sel.model, "fp2")


def test_priced_tokens_divide_by_the_realism_factor(monkeypatch):
    """The hook that turns an ideal τ into a realistic one reaches every cost per token."""
    sel = data.selection()
    ideal = {p.offer.name: p.usd_per_Mtok for p in scaling_power.priced_tokens(sel, sel.model)}
    monkeypatch.setattr(power, "decode_realism_factor", lambda data_dir=None: 0.5)
    real = {p.offer.name: p.usd_per_Mtok for p in scaling_power.priced_tokens(sel, sel.model)}
    assert ideal and all(real[k] == pytest.approx(2 * v) for k, v in ideal.items())


def test_energy_and_cost_per_token_by_hand():
    # 700 W at PUE 1.5 making 10,000 tokens/s: 0.105 J per token; at 0.10 USD/kWh: 2.9e-9 USD.
    e = power.energy_per_token_J(700.0, 10_000.0, 1.5)
    assert float(e) == pytest.approx(0.105)
    assert float(power.energy_cost_per_token_usd(e, 0.10)) == pytest.approx(0.105 * 0.10 / 3.6e6)
    # 3.60 USD/h at 1,000 tokens/s: 1e-6 USD per token, 1 USD per million.
    assert float(power.accelerator_cost_per_token_usd(3.6, 1000.0)) == pytest.approx(1e-6)
    assert float(power.site_tokens_per_s(1e9, 20.0, 1.25)) == pytest.approx(1.6e10)


@pytest.mark.parametrize("bad", [dict(power_W=-1, tokens_per_s=1), dict(power_W=1, tokens_per_s=0),
                                 dict(power_W=1, tokens_per_s=1, pue=0.9)])
def test_energy_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        power.energy_per_token_J(**bad)


def test_amdahl_published_example_and_limits():
    assert float(power.amdahl_speedup(0.5, np.inf)) == pytest.approx(2.0)  # the talk's 50% → 2×
    assert float(power.amdahl_speedup(0.5, 10.0)) == pytest.approx(1 / 0.55)
    assert float(power.amdahl_speedup(0.95, np.inf)) == pytest.approx(20.0)  # Amdahl's classic 95% → 20×
    assert float(power.amdahl_speedup(0.0, 100.0)) == 1.0
    p = np.linspace(0, 1, 11)
    s = power.amdahl_speedup(p[:, None], np.array([2.0, 10.0, np.inf])[None, :])
    assert np.all(np.diff(s, axis=0) >= 0) and np.all(np.diff(s, axis=1) >= 0)  # monotone in both
    with pytest.raises(ValueError):
        power.amdahl_speedup(1.2, 2.0)
    with pytest.raises(ValueError):
        power.amdahl_speedup(0.5, 0.0)


def test_codesign_reduces_to_amdahl_and_beats_one_part():
    assert power.codesign_speedup([0.5], [10.0]) == pytest.approx(float(power.amdahl_speedup(0.5, 10.0)))
    assert power.codesign_speedup([0.5, 0.3, 0.2], [10, 4, 4]) == pytest.approx(1 / (0.05 + 0.075 + 0.05))
    with pytest.raises(ValueError):
        power.codesign_speedup([0.7, 0.6], [2, 2])


def test_load_duration_curve_and_mean():
    x = np.array([0.0, 0.01, 1.0])
    assert power.load_duration_curve(x, 0.6, 0.01, 0.35).tolist() == pytest.approx([1.0, 0.6, 0.35])
    xs = np.linspace(0, 1, 200001)
    numeric = np.trapezoid(power.load_duration_curve(xs, 0.6, 0.01, 0.35), xs)
    assert power.mean_load(0.6, 0.01, 0.35) == pytest.approx(numeric, rel=1e-6)
    floor = power.floor_for_mean_load(0.5, 0.6, 0.01)
    assert power.mean_load(0.6, 0.01, floor) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        power.load_duration_curve(x, 0.3, 0.01, 0.5)  # floor above shoulder


def test_load_factor_from_eia_figures():
    # 3,861,342 GWh sold in 2023 over a 742 GW peak: 0.594 of peak on average.
    assert power.load_factor(3_861_342e9, 742e9) == pytest.approx(3_861_342 / (742 * 8760), rel=1e-12)


def test_flexible_load_fraction():
    # A load of 40% of peak fits under 1 − L everywhere except the top 1% of hours (the talk's curve).
    frac = power.flexible_energy_fraction(np.array([0.4]), 0.6, 0.01, 0.35)
    assert 0.99 < float(frac[0]) < 1.0
    small, large = power.flexible_energy_fraction(np.array([0.05, 0.9]), 0.6, 0.01, 0.35)
    assert small > large  # a larger flexible load sheds a larger share
    assert float(power.flexible_energy_fraction(np.array([0.01]))[0]) == pytest.approx(1.0 - 0.5 * 0.01 * 0.01 / 0.4, abs=2e-4)


def test_radiator_against_stefan_boltzmann_by_hand():
    # σT⁴ at 300 K = 459.3 W/m²; ε = 0.9 → 413.4 W/m² → 2,419 m² per MW on one side.
    per_w = float(power.radiator_area_m2_per_W(300.0, 0.9))
    assert per_w * 1e6 == pytest.approx(1e6 / (0.9 * 5.670374419e-8 * 300.0 ** 4), rel=1e-12)
    assert per_w * 1e6 == pytest.approx(2419, rel=1e-3)
    assert float(power.radiator_area_m2_per_W(300.0, 0.9, sides=2)) == pytest.approx(per_w / 2)
    assert float(power.radiator_area_m2_per_W(600.0, 0.9)) == pytest.approx(per_w / 16)  # T⁴
    with pytest.raises(ValueError):
        power.radiator_area_m2_per_W(300.0, 1.2)
    with pytest.raises(ValueError):
        power.radiator_area_m2_per_W(3.0, 0.9, sink_temperature_K=4.0)


def test_solar_area_by_hand():
    # 1361 W/m² × 30%: 408.3 W per m², 2,449 m² per MW.
    assert float(power.solar_area_m2_per_W(1361.0, 0.3)) * 1e6 == pytest.approx(1e6 / 408.3, rel=1e-9)
    with pytest.raises(ValueError):
        power.solar_area_m2_per_W(1361.0, 0.0)


def test_tables_load_and_name_hardware_rows():
    names = {h.name for h in data.load_hardware()}
    prices = power.load_prices()
    assert prices and all(p.hardware in names for p in prices)
    c = power.load_constants()
    assert c["solar_constant"] == 1361 and 1 <= c["pue_hyperscale"] <= assumptions.assumption("pue").value
    # One home per fact: the electricity price and the industry PUE live in assumptions.csv only.
    assert "electricity_price" not in c and "pue_industry_average" not in c


def test_malformed_price_row_names_the_column(data_copy):
    path = data_copy / "accelerator_costs.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace(",3.06,", ",three,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        power.load_prices(data_copy)
    assert "price_USD_per_accelerator_hour" in str(info.value) and "three" in str(info.value)


def test_malformed_market_and_constant_rows(data_copy):
    path = data_copy / "accelerator_costs.csv"
    path.write_text(path.read_text().replace("hyperscaler on-demand", "spot", 1))
    with pytest.raises(DataError, match="market"):
        power.load_prices(data_copy)
    path = data_copy / "power_constants.csv"
    path.write_text(path.read_text().replace("solar_constant,1361", "solar_constant,-1361"))
    with pytest.raises(DataError, match="value"):
        power.load_constants(data_copy)


def test_ledger_entries_on_default_data():
    sel = data.selection()
    by = {e.quantity: e for cid in ("rubin-pod", "grid-slack", "cost-per-token-240x") for e in claims.derive(cid, sel)}
    assert by["Rubin GPUs per pod (NVIDIA)"].derived == 1152 and by["Rubin GPUs per pod (NVIDIA)"].verdict == claims.HOLDS
    assert by["pod NVFP4 compute, GPUs alone (50 PF inference figure)"].derived == pytest.approx(1152 * 50e15)
    # 16 NVL72 racks × 260 TB/s + 8 LPX racks × 640 TB/s = 9.28 PB/s against the talk's 10.
    lpx = by["pod scale-up bandwidth with the LPX racks the compute total implies"]
    assert lpx.derived == pytest.approx(16 * 260e12 + 8 * 640e12) and lpx.verdict == claims.HOLDS
    assert by["pod scale-up bandwidth, NVL72 racks alone"].verdict == claims.FAILS
    # (10 PB/s − 4.16 PB/s) / 640 TB/s = 9.125 racks against (60 EF − 57.6 EF) / 315 PF = 7.619.
    assert by["LPX racks implied by the bandwidth total ÷ by the compute total"].derived == pytest.approx(9.125 / 7.619, rel=1e-3)
    mean = by["US mean load ÷ peak, 2023 (sales and losses over the same year's peak)"]
    assert mean.derived == pytest.approx(0.6253, abs=1e-4) and mean.verdict == claims.HOLDS
    # At a mean of 0.6253 at least (0.6253 − 0.6) / 0.4 = 6.3% of hours lie above 60% of peak, not 1%.
    hours = by["share of hours above 60% of peak, at least (from the mean load)"]
    assert hours.derived == pytest.approx(0.0633, abs=1e-4) and hours.verdict == claims.FAILS
    assert by["dense FLOP/s per package, oldest → newest (matched 16-bit)"].derived == pytest.approx(8350 / 125)
    assert by["dense FLOP/s per package, oldest (16-bit) → newest (narrowest format)"].derived == pytest.approx(35000 / 125)
    assert "V100 SXM2: dense_bf16_TFLOPs" in by["dense FLOP/s per package, oldest → newest (matched 16-bit)"].inputs["inferred"]


def test_electricity_shares_for_owner_and_renter_by_hand():
    sel = data.selection()
    by = {e.quantity: e for e in claims.derive("tokens-per-watt", sel)}
    owner = by["electricity share of an owner's accelerator-hour"]
    # 1,275 W × 1.58 × 0.08 USD/kWh = 0.16116 USD/h against 27,500 / 35,040 h = 0.78482 USD/h: 17.0%.
    assert owner.derived == pytest.approx(100 * 0.16116 / (0.16116 + 0.784817), rel=1e-4)
    assert owner.sensitivity["accelerator_lifetime"]["high"]["derived"] > owner.derived
    renter = by["electricity share of a renter's accelerator-hour"]
    # The same 0.16116 USD/h inside a 6.16 USD rented hour: 2.6%.
    assert renter.derived == pytest.approx(100 * 0.16116 / 6.16, rel=1e-4)
    assert float(power.renter_electricity_share(1275, 0.08, 8.60, 1.58)) == pytest.approx(0.018739, rel=1e-4)
    with pytest.raises(ValueError):
        power.renter_electricity_share(1275, 0.08, 0.0, 1.58)


def test_grid_load_factor_with_losses_and_the_hours_bound():
    # 3,861,342 GWh / 0.95 / (742,000 MW × 8,760 h) = 0.6253.
    assert power.load_factor_with_losses(3_861_342e9, 742_000e6, 0.05) == pytest.approx(0.62533, abs=1e-5)
    assert float(power.min_share_of_hours_above(0.6253, 0.6)) == pytest.approx(0.06325)
    assert float(power.min_share_of_hours_above(0.55, 0.6)) == 0.0
    # The bound is tight: 6.3% of hours at peak and the rest at 0.6 give exactly that mean.
    s = float(power.min_share_of_hours_above(0.6253, 0.6))
    assert s * 1.0 + (1 - s) * 0.6 == pytest.approx(0.6253)
    with pytest.raises(ValueError):
        power.min_share_of_hours_above(0.6, 1.0)
    with pytest.raises(ValueError):
        power.load_factor_with_losses(1e12, 1e9, 1.0)


def test_space_ratios_by_hand():
    # Radiator: 1 / (0.9 × σ × 300⁴) = 2,419 m²/MW; array: 1 / (1,361 × 0.30 × 0.85) = 2,881 m²/MW.
    by = {e.quantity: e for e in claims.derive("space-datacentres", data.selection())}
    one = by["radiator ÷ solar-array area, one-sided radiator (cooling needs more area)"]
    two = by["radiator ÷ solar-array area, two-sided radiator (cooling needs more area)"]
    assert one.derived == pytest.approx(2419.14 / 2881.5, rel=1e-4) and two.derived == pytest.approx(one.derived / 2)
    assert one.verdict == two.verdict == claims.SHAPE_FAILS
    # A colder radiator (270 K) is larger than the array one-sided: that verdict is not robust, the two-sided one is.
    assert one.robust is False and two.robust is True


def test_ledger_copes_without_rubin_row_or_tables(data_copy):
    path = data_copy / "hardware.csv"
    path.write_text("\n".join(l for l in path.read_text().splitlines() if not l.startswith("Rubin")) + "\n")
    (data_copy / "accelerator_costs.csv").unlink()
    data.clear_cache()
    sel = data.selection(data_dir=data_copy)
    entries = claims.derive("rubin-pod", sel)
    assert any(e.derived is None for e in entries)
    assert claims.derive("low-cost-token-producer", sel)  # falls back to the book's price table
    assert not math.isnan(scaling_power.constants(sel)["solar_constant"])


def test_owner_cost_by_hand():
    # An H100 bought at 27,500 USD over 4 years: 27,500 / (4 x 8,760) = 0.7848 USD/h. At its 700 W TDP, PUE 1.58
    # and 0.08 USD/kWh: 0.7 x 1.58 x 0.08 = 0.0885 USD/h, 10.1% of the owner's hour (the "≈ 10%").
    # With its 1,275 W share of a DGX H100 (10.2 kW / 8): 0.1612 USD/h, 17.0%.
    assert float(power.owner_capex_per_hour_usd(27_500, 4)) == pytest.approx(27_500 / 35_040)
    assert float(power.owner_energy_per_hour_usd(700, 0.08, 1.58)) == pytest.approx(0.08848)
    assert float(power.owner_electricity_share(27_500, 4, 700, 0.08, 1.58)) == pytest.approx(0.1013, abs=1e-4)
    h100 = next(o for o in power.load_owner_costs() if o.hardware == "H100 SXM")
    c = power.load_constants()
    share = float(power.owner_electricity_share(h100.purchase_price_usd, h100.lifetime_years, h100.power_W,
                                                assumptions.assumption("electricity_price").value,
                                                assumptions.assumption("pue").value))
    assert h100.power_W == 10_200 / 8 and share == pytest.approx(0.1703, abs=1e-4)
    # A renter's hour on AWS costs ~11x the owner's depreciation: electricity is a far smaller share there.
    aws = next(p for p in power.load_prices() if p.name == "H100 SXM on AWS p5.48xlarge")
    assert aws.usd_per_hour / float(power.owner_capex_per_hour_usd(27_500, 4)) == pytest.approx(10.96, abs=0.01)
    with pytest.raises(ValueError):
        power.owner_capex_per_hour_usd(27_500, 0)
    with pytest.raises(ValueError):
        power.owner_energy_per_hour_usd(700, 0.08, 0.9)


def test_owner_costs_name_hardware_rows_and_power_covers_the_tdp():
    hardware = {h.name: h for h in data.load_hardware()}
    rows = power.load_owner_costs()
    assert rows
    for o in rows:
        assert o.hardware in hardware and o.power_W >= hardware[o.hardware].tdp_W and o.provenance


def test_grid_flexibility_rows_of_norris_et_al():
    rows = power.load_grid_flexibility()
    assert [(h.curtailment_fraction, h.headroom_W) for h in rows] == [(0.0025, 76e9), (0.005, 98e9), (0.01, 126e9)]
    assert all("10161/32077" in h.source for h in rows)


def test_power_constants_are_dated_and_pair_years():
    rows = power.constant_rows()
    assert all(r["as_of"] and r["provenance"] for r in rows)
    c = power.load_constants()
    # Same-year load factor: 3,861,342 GWh / (742,000 MW x 8,760 h) = 0.594; with ~5% losses added back, 0.625.
    lf = power.load_factor(c["us_annual_retail_sales"] * 1e9, c["us_peak_demand_2023"] * 1e6)
    assert lf == pytest.approx(0.5941, abs=1e-4)
    assert lf / (1 - c["us_td_loss_fraction"]) == pytest.approx(0.6253, abs=1e-4)
    # The pod's LPX racks that would close NVIDIA's totals: (60 EF - 1,152 x 50 PF) / 315 PF = 7.6 -> 8.
    lpx = (60e18 - c["rubin_pod_gpus"] * c["rubin_fp4_inference_pflops"] * 1e15) / (c["lpx_rack_fp8_pflops"] * 1e15)
    assert lpx == pytest.approx(7.62, abs=0.01) and c["rubin_pod_lpx_racks_implied"] == math.ceil(lpx)
    assert c["rubin_pod_nvl72_racks"] * c["rubin_gpus_per_rack"] == c["rubin_pod_gpus"]


def test_price_table_has_no_staging_mirror_or_memory_rows():
    for p in power.load_prices():
        assert "uat." not in p.source and "mirror" not in p.source.lower(), p.name
        assert "as remembered" not in p.notes and "from memory of" not in p.notes, p.name
        assert p.as_of >= "2022" and p.provenance in data.PROVENANCE
    assert sum(p.as_of >= "2025" for p in power.load_prices()) >= 6


def test_radiator_is_a_third_of_a_football_pitch_per_megawatt():
    from lib import claims, data
    note = {e.quantity: e for e in claims.derive("space-datacentres", data.selection())}[
        "radiator area per MW (one side, by radiation only)"].note
    # 2,419 m² per MW against a 105 m × 68 m pitch (7,140 m²): 0.34, not one pitch
    assert note.endswith(f"{2419.14 / (105 * 68):.2f} of a football pitch")
