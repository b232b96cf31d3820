"""lib.assumptions: the book-wide assumptions table, its ranges, its derived rows and its agreement with the
tables that hold the same facts."""

import pytest

from conftest import rewrite_cell
from lib import assumptions, parallelism, memory_tiers, power
from lib.data import DataError

#: Names the chapters and the ledger's sensitivity analysis refer to: renaming one breaks them.
STABLE_NAMES = ("daily_users", "tokens_per_daily_user_per_day", "decode_utilisation", "training_utilisation",
                "price_per_accelerator_hour", "electricity_price", "pue", "accelerator_lifetime",
                "weights_share_of_hbm", "model_serving_days", "served_tokens_per_day", "rl_to_pretraining_compute_ratio",
                "chinchilla_training_compute")


def test_table_loads_with_stable_names_and_ranges():
    table = assumptions.load_assumptions()
    for name in STABLE_NAMES:
        a = table[name]
        assert a.low <= a.value <= a.high and a.source and a.as_of, name
    assert all(a.unit in assumptions.UNITS for a in table.values())
    assert assumptions.assumption("daily_users").value == 1e8
    # Utilisation is a fraction of peak: the pre-training figure is Llama 3's 38-43% MFU.
    assert assumptions.assumption("training_utilisation").range == (0.38, 0.43)


def test_demand_arithmetic_by_hand():
    # NBER w34255: 18e9 messages a week in July 2025 = 2.571e9 a day; x 1,000 tokens = 2.571e12 tokens a day;
    # over 1e8 daily users = 25,714 tokens per daily user per day. The same volume over 7e8 weekly users: 3,673.
    t = assumptions.load_assumptions()
    assert t["messages_per_day"].value == pytest.approx(18e9 / 7, rel=1e-3)
    assert t["served_tokens_per_day"].value == pytest.approx(2.571e12)
    assert t["tokens_per_daily_user_per_day"].value == pytest.approx(25_714, rel=1e-3)
    # Its range is the volume's range over the same daily users (the product stays pinned to the measurement).
    assert t["tokens_per_daily_user_per_day"].low == pytest.approx(t["served_tokens_per_day"].low / 1e8, rel=1e-3)
    assert t["tokens_per_daily_user_per_day"].high == pytest.approx(t["served_tokens_per_day"].high / 1e8, rel=1e-3)
    assert t["served_tokens_per_day"].low == pytest.approx(2.571e9 * 500, rel=1e-3)
    assert assumptions.check_derived(t) == []


def test_a_derived_row_out_of_step_is_reported(data_copy):
    rewrite_cell(data_copy / "assumptions.csv", "tokens_per_message", "value", "2000")
    problems = assumptions.check_derived(assumptions.load_assumptions(data_copy))
    assert len(problems) == 1 and problems[0].startswith("served_tokens_per_day")


def test_the_same_fact_agrees_with_the_tables_that_also_hold_it():
    t = assumptions.load_assumptions()
    c = power.load_constants()
    assert "electricity_price" not in c and "pue_industry_average" not in c   # one home: assumptions.csv
    assert t["pue"].low == c["pue_hyperscale"]
    h100 = next(o for o in power.load_owner_costs() if o.hardware == "H100 SXM")
    assert t["accelerator_lifetime"].value == h100.lifetime_years
    # The owner's H100 price is the memory-tier table's H100 price; the B200's is the capex table's selling price.
    tier = next(m for m in memory_tiers.load_memory_tiers() if m.name == "H100 SXM HBM3")
    assert h100.purchase_price_usd == tier.price_usd
    b200 = next(o for o in power.load_owner_costs() if o.hardware == "B200")
    share = next(s for s in parallelism.load_memory_shares() if s.name == "B200 HBM share of selling price")
    assert b200.purchase_price_usd == share.total_cost_USD
    # The central rental price is the median of the table's 2025-2026 H100 on-demand offers.
    h100_offers = sorted(p.usd_per_hour for p in power.load_prices() if p.hardware == "H100 SXM")
    assert t["price_per_accelerator_hour"].value == h100_offers[len(h100_offers) // 2]


@pytest.mark.parametrize("column, value, expected", [
    ("value", "9e8", "low ≤ value ≤ high"),
    ("unit", "people", "one of users"),
    ("name", "Daily Users", "snake_case"),
    ("as_of", "last year", "YYYY-MM-DD"),
    ("provenance", "vibes", "primary"),
])
def test_bad_rows_are_named(data_copy, column, value, expected):
    rewrite_cell(data_copy / "assumptions.csv", "daily_users", column, value)
    with pytest.raises(DataError) as info:
        assumptions.load_assumptions(data_copy)
    p = info.value.problems[0]
    assert p.column == column and expected in p.expected and p.file.endswith("assumptions.csv")


def test_ledger_assumption_carries_the_row_and_its_range():
    a = assumptions.ledger_assumption("decode_utilisation")
    assert (a.name, a.value, a.low, a.high, a.unit) == ("decode_utilisation", 0.3, 0.12, 0.4, "fraction")
    assert "30%" in a.source


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DataError, match="daily_users"):
        assumptions.assumption("weekly_vibes")
