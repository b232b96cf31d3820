"""The batch-train queue: closed forms, the vectorised simulation against hand results, invariants, errors,
and the throughput-reports table."""

import math

import numpy as np
import pytest

from lib import data, queueing
from lib.data import DataError

from conftest import rewrite_cell

T = 0.020  # the talk's period, seconds


def test_closed_forms_by_hand():
    assert float(queueing.trains_per_second(T)) == pytest.approx(50.0)
    assert float(queueing.capacity_rate_per_s(2000, T)) == pytest.approx(100_000.0)
    assert float(queueing.offered_load(80_000, 2000, T)) == pytest.approx(0.8)
    assert float(queueing.worst_case_latency_unsaturated_s(T)) == pytest.approx(0.040)
    assert float(queueing.mean_latency_unsaturated_s(T)) == pytest.approx(0.030)
    assert float(queueing.tokens_per_second(2000, 1 / 64)) == pytest.approx(128_000.0)
    assert float(queueing.streams_to_fill(2400, 0.1)) == pytest.approx(24_000.0)


def test_tokens_per_month_to_per_second():
    # 1.3e15 tokens in an average month of 30.436875 days
    assert float(queueing.tokens_per_month_to_per_s(1.3e15)) == pytest.approx(1.3e15 / (30.436875 * 86_400))
    assert queueing.SECONDS_PER_MONTH == pytest.approx(2_629_746.0)


def test_unsaturated_latency_is_uniform_between_T_and_2T():
    run = queueing.simulate_train(0.5 * 1000 / T, 1000, T, trains=2000, samples=50_000, seed=1)
    assert run.full_train_fraction == 0.0
    assert run.latency_s.min() >= T and run.latency_s.max() < 2 * T
    assert run.mean_s == pytest.approx(1.5 * T, rel=0.01)
    assert float(run.quantile_s(0.99)) == pytest.approx(1.99 * T, rel=0.01)


def test_backlog_matches_a_plain_loop():
    run = queueing.simulate_train(1.1 * 10 / T, 10, T, trains=300, samples=100, seed=3)
    backlog, expected = 0, []
    for a in run.arrivals:
        backlog = max(0, backlog + int(a) - 10)
        expected.append(backlog)
    assert np.array_equal(run.backlog, np.array(expected))


def test_single_seat_queue_matches_a_per_request_loop():
    """B = 1: a plain FIFO loop over every request, on the simulation's own arrival counts with fresh arrival
    times inside each period, gives the same mean latency (the times only enter through their mean)."""
    rate, trains = 0.7 / T, 20_000
    run = queueing.simulate_train(rate, 1, T, trains=trains, samples=100_000, seed=6)
    rng = np.random.default_rng(5)
    counts = run.arrivals
    times = np.sort(np.repeat(np.arange(trains), counts) + rng.random(counts.sum()))  # in units of T
    last_train, latencies = 0, []
    for t in times:
        last_train = max(math.ceil(t), last_train + 1)  # the first train after arrival with a free seat
        latencies.append(last_train - t + 1)  # wait, then one ride
    assert run.mean_s / T == pytest.approx(np.mean(latencies), rel=0.02)
    assert float(run.quantile_s(0.9)) / T == pytest.approx(np.quantile(latencies, 0.9), rel=0.03)


def test_overload_grows_without_bound_and_latency_rises_with_load():
    short = queueing.simulate_train(1.05 * 1000 / T, 1000, T, trains=500, seed=2)
    long = queueing.simulate_train(1.05 * 1000 / T, 1000, T, trains=2000, seed=2)
    assert long.worst_s > 3 * short.worst_s > 3 * 2 * T
    means = [queueing.simulate_train(r * 20 / T, 20, T, trains=2000, seed=4).mean_s for r in (0.3, 0.7, 0.95)]
    assert means[0] < means[1] < means[2]


def test_simulation_is_seeded():
    a = queueing.simulate_train(40_000, 1000, T, seed=9)
    b = queueing.simulate_train(40_000, 1000, T, seed=9)
    assert np.array_equal(a.latency_s, b.latency_s)


@pytest.mark.parametrize("kwargs", [dict(arrival_rate_per_s=0, seats=10, period_s=T),
                                    dict(arrival_rate_per_s=float("nan"), seats=10, period_s=T),
                                    dict(arrival_rate_per_s=100, seats=0, period_s=T),
                                    dict(arrival_rate_per_s=100, seats=2.5, period_s=T),
                                    dict(arrival_rate_per_s=100, seats=10, period_s=0)])
def test_bad_simulation_inputs_raise(kwargs):
    with pytest.raises(ValueError):
        queueing.simulate_train(**kwargs)


def test_bad_closed_form_inputs_raise():
    with pytest.raises(ValueError):
        queueing.trains_per_second(0)
    with pytest.raises(ValueError):
        queueing.offered_load(-1, 10, T)
    with pytest.raises(ValueError):
        queueing.streams_to_fill(10, 0)
    with pytest.raises(ValueError):
        queueing.log_linear_trend([2020, 2020], [1, 2])


def test_log_linear_trend():
    growth, level = queueing.log_linear_trend([2020, 2021, 2022], [1.0, 2.0, 4.0])
    assert growth == pytest.approx(1.0) and level == pytest.approx(2.0)
    assert queueing.log_linear_trend([2020, 2024], [5.0, 5.0])[0] == pytest.approx(0.0)


def test_latency_grid_shapes():
    hist, summary = queueing.latency_grid(np.array([10e3, 20e3]), np.array([100, 400]), T,
                                          np.array([1.0, 2.0, np.inf]), trains=100, samples=500)
    assert len(summary) == 4 and len(hist) == 8
    for s in summary:
        shares = sum(h["share"] for h in hist if h["rate"] == s["rate"] and h["seats"] == s["seats"])
        assert shares == pytest.approx(1.0)


def test_throughput_reports_load_and_convert():
    reports = queueing.load_throughput_reports()
    assert len(reports) >= 3 and all(r.source for r in reports)
    latest = queueing.latest_report_before(reports, "Google", "2026-01")
    assert latest.tokens_per_month == pytest.approx(1.3e15)
    assert latest.tokens_per_s == pytest.approx(4.94e8, rel=0.01)
    assert queueing.latest_report_before(reports, "Google", "2000-01") is None


def test_malformed_throughput_row_names_the_column(data_copy):
    rewrite_cell(data_copy / "throughput_reports.csv", "Google 2025-09", "tokens_per_month_T", "lots")
    data.clear_cache()
    with pytest.raises(DataError) as info:
        queueing.load_throughput_reports(data_copy)
    problem = info.value.problems[0]
    assert problem.column == "tokens_per_month_T" and problem.value == "lots"
    assert "throughput_reports.csv" in str(info.value)


def test_bad_period_is_rejected(data_copy):
    rewrite_cell(data_copy / "throughput_reports.csv", "Google 2025-09", "period_end", "Sept 2025")
    with pytest.raises(DataError) as info:
        queueing.load_throughput_reports(data_copy)
    assert info.value.problems[0].column == "period_end"


def test_missing_table_falls_back_to_the_books_and_an_empty_one_is_empty(data_copy):
    path = data_copy / "throughput_reports.csv"
    book = queueing.load_throughput_reports()
    path.unlink()
    assert queueing.load_throughput_reports(data_copy) == book      # lib.data.table_dir: the book's own table
    path.write_text((data.DEFAULT_DATA_DIR / "throughput_reports.csv").read_text().splitlines()[0] + "\n")
    assert queueing.load_throughput_reports(data_copy) == []


def test_google_reports_cite_googles_own_pages():
    reports = queueing.load_throughput_reports()
    assert [r.tokens_per_month for r in reports] == sorted(r.tokens_per_month for r in reports)
    for r in reports:
        assert "blog.google/" in r.source or "sec.gov/" in r.source, r.name
        assert "github.io" not in r.source and "vercel.app" not in r.source and "bebeez" not in r.source, r.name
