"""The calculator page in headless Chromium, held to lib: every value it shows over a grid of cases set in its form
(some typed and picked through the real controls), the address that reproduces a configuration, the copied
hardware.csv row, bad input, narrow screens.

Marked ``book`` (`make book` first): one page load, and one call into it, drives the whole parity grid. The page's redraw times are
recorded (printed with ``-s``, and in ``make bench``), never asserted: the machine is shared.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import math
import re
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from browser import CALCULATOR_PAGE, HTML, calculator_redraw_ms, chromium_session, open_calculator, set_control
from lib import calculator, data
from lib.calculator import DOES_NOT_FIT, Scenario
from lib.data import HARDWARE_SCHEMA
from lib.roofline import Precisions

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site():
    if not (HTML / CALCULATOR_PAGE).is_file():
        pytest.fail(f"no built calculator at {HTML / CALCULATOR_PAGE}: run `make book` first")
    yield from chromium_session()


@pytest.fixture(scope="module")
def calc(site):
    b, url = site
    page = open_calculator(b, url)
    page.evaluate("document.querySelectorAll('.book-calculator details').forEach(d => d.open = true)")
    yield page
    page.context.close()


# --------------------------------------------------------------------------------------------------
# The grid


@dataclass(frozen=True)
class Config:
    """An accelerator, a model (each a row of the data, maybe edited in the form), the precisions, and the
    serving fields that stay put while the context and the batch move."""

    hardware: str
    model: str
    serving: tuple[str, str, str, str | None, str]  # accelerators ("auto" or n), prompt, cached, price, speed
    hardware_edits: tuple[tuple[str, str], ...] = ()
    model_edits: tuple[tuple[str, str], ...] = ()
    precisions: tuple[str, str, str, str] | None = None  # weights, experts, KV, attention; None: release + bf16
    points: tuple[tuple[str, str], ...] | None = None  # (context, batch) points; None: the next of POINTS

    @property
    def price(self) -> float:
        """The price typed, or (None) the one the page starts from: the accelerator's lowest offer in the data."""
        return float(self.serving[3]) if self.serving[3] is not None else calculator.default_price(self.hardware)


#: Serving fields, each shared by a run of configurations (the price None: left at the page's default).
AUTO = ("auto", "8192", "0", None, "30")
SIXTEEN = ("16", "32768", "4096", "4", "20")
ONE = ("1", "1000", "999", "0.75", "50")

#: DeepSeek Sparse Attention (top-2,048): contexts and prompts below, at and above the top-k; the prompt of the
#: second configuration starts after a cached prefix shorter than the top-k, that of the third after a longer one.
DSA = "DeepSeek-V3.2-Exp"
DSA_SHORT = (("128", "64"), ("2048", "1"), ("8192", "64"), ("131072", "7"), ("1000", "300"))
DSA_LONG = (("0", "1"), ("4096", "1024"), ("1000000", "7"), ("2047", "10000"), ("65536", "300"))
DSA_MIXED = (("1024", "64"), ("3000", "64"), ("32768", "7"), ("2048", "1"), ("500000", "1"))

#: Dense and MoE; MLA, GQA, sliding windows and DeepSeek Sparse Attention (as released, and added to a GQA model
#: in the form); release formats fp8, bf16, fp16 and mxfp4 and formats set by hand; tied embeddings (PaLM);
#: chips without fp8 or fp4 (the matmuls fall back to bf16); an accelerator and models edited field by field;
#: "auto" replicas and replicas given explicitly (some too small: points that do not fit).
CONFIGS: tuple[Config, ...] = (
    Config("H100 SXM", "DeepSeek-V3", AUTO),
    Config("H100 SXM", "gpt-oss-120b", AUTO, precisions=("bf16", "mxfp4", "fp8", "bf16")),
    Config("H100 SXM", "Qwen3-235B-A22B", AUTO,
           hardware_edits=(("hbm_capacity_GB", "96"), ("hbm_bandwidth_TBps", "4.0"), ("dense_bf16_TFLOPs", "1200"),
                           ("dense_fp8_TFLOPs", ""), ("dense_fp4_TFLOPs", "3000"), ("scale_up_domain_size", "16")),
           precisions=("fp8", "fp4", "fp8", "fp8")),
    Config("H100 SXM", "Llama 3.1 70B", AUTO,
           model_edits=(("attention", "mla"), ("kv_lora_rank", "512"), ("qk_rope_head_dim", "64"),
                        ("q_lora_rank", "1536"), ("sliding_window_tokens", "4096"), ("sliding_window_layers", "40"))),
    Config("A100 SXM 80GB", "DeepSeek-V3", SIXTEEN, precisions=("fp8", "fp8", "fp8", "fp8")),
    Config("MI300X", "Llama 3.1 405B", SIXTEEN, precisions=("fp8", "fp8", "fp8", "bf16")),
    Config("B200", "DeepSeek-V3", SIXTEEN,
           model_edits=(("layers", "40"), ("routed_experts", "128"), ("active_experts", "4"), ("kv_lora_rank", "256"))),
    Config("GB200 NVL72", "Kimi K2", SIXTEEN, precisions=("fp8", "fp4", "bf16", "fp8")),
    Config("B200", "gpt-oss-120b", ONE),
    Config("TPU v5e", "Llama 3.1 8B", ONE),
    Config("MI355X", "Mixtral 8x7B", ONE, precisions=("bf16", "bf16", "fp16", "bf16")),
    Config("H200 SXM", "Llama 3.1 70B", ONE),
    Config("H200 SXM", DSA, ("auto", "1000", "0", None, "30"), points=DSA_SHORT),
    Config("B200", DSA, ("8", "32768", "1024", "6", "20"), points=DSA_LONG),
    Config("A100 SXM 80GB", DSA, ("16", "100000", "8192", "3", "20"), precisions=("fp8", "fp8", "fp8", "bf16"),
           points=DSA_MIXED),
    Config("H100 SXM", "Llama 3.1 70B", SIXTEEN,
           model_edits=(("sparse_topk_tokens", "1024"), ("indexer_heads", "32"), ("indexer_head_dim", "64"))),
    Config("H800 SXM", "Llama 2 70B", AUTO),
    Config("TPU v4", "PaLM 540B", ("64", "2048", "0", "3", "10")),
    Config("H100 SXM", "PaLM 540B", AUTO, precisions=("fp8", "fp8", "fp8", "fp8")),
    Config("Trainium2", DSA, ("16", "4096", "2048", None, "20")),
    Config("Trainium3", "gpt-oss-120b", AUTO),
)

#: (context, batch) points, visited in turn (each differs from the one before in one or two fields): context 0,
#: a window's length and a million tokens; batch 1 to 10,000.
POINTS: tuple[tuple[str, str], ...] = (
    ("8192", "64"), ("8192", "1"), ("0", "1"), ("0", "1024"), ("131072", "1024"), ("131072", "7"),
    ("1000000", "7"), ("128", "7"), ("128", "300"), ("32768", "300"), ("32768", "10000"), ("4096", "10000"),
)
SERVING_FIELDS = ("chips", "prompt", "cached", "price", "speed")
POINT_FIELDS = ("context", "batch")
PER_CONFIG = 5

CASES = [(config, config.points[j] if config.points else POINTS[(PER_CONFIG * i + j) % len(POINTS)])
         for i, config in enumerate(CONFIGS) for j in range(PER_CONFIG)]


def hardware_row(config: Config):
    """The accelerator as lib sees it after the form's edits (in hardware.csv's units)."""
    hw = data.get_hardware(config.hardware)
    flops = dict(hw.flops_per_s)
    changes = {}
    for column, raw in config.hardware_edits:
        factor = HARDWARE_SCHEMA.column(column).factor
        value = None if raw == "" else float(raw) * factor
        if column.startswith("dense_"):
            precision = column.split("_")[1]
            flops.pop(precision, None)
            if value is not None:
                flops[precision] = value
        else:
            attribute = {"hbm_capacity_GB": "hbm_capacity_bytes", "hbm_bandwidth_TBps": "hbm_bandwidth_Bps",
                         "scale_up_domain_size": "scale_up_domain_size"}[column]
            changes[attribute] = int(value) if attribute == "scale_up_domain_size" else value
    return replace(hw, flops_per_s=flops, **changes)


def model_row(config: Config):
    model = data.get_model(config.model)
    return replace(model, **{k: (v if k == "attention" else int(v)) for k, v in config.model_edits})


def precisions_of(config: Config) -> Precisions:
    if config.precisions is None:
        m = data.get_model(config.model)
        return Precisions(m.weights_format, m.expert_weights_format, "bf16", "bf16")
    return Precisions(*config.precisions)


READ = """async (withChart) => {
  await window.bookCalculator.settled();
  const out = {};
  document.querySelectorAll('#book-calculator output[data-out]').forEach(e => {
    out[e.dataset.out] = {text: e.textContent, value: e.dataset.value === undefined ? null : e.dataset.value,
                          kind: e.dataset.kind, unit: e.dataset.unit};
  });
  const controls = {};
  document.querySelectorAll('#book-calculator input, #book-calculator select').forEach(e => {
    if (e.name) controls[e.name] = e.value;
  });
  const latest = window.bookCalculator.latest();
  return {out, controls, text: document.getElementById('book-calculator').innerText, url: location.href,
          chart: withChart && latest ? latest.chart.rows : null};
}"""

SI = {"E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "m": 1e-3, "µ": 1e-6, "n": 1e-9}
WORDS = {"trillion": 1e12, "billion": 1e9, "million": 1e6}


def shown_number(text: str, kind: str, unit: str) -> float:
    """The number a reader reads in an output's text (display formats of lib/calculator.js)."""
    body = text.replace(",", "").replace("$", "").strip()
    if unit and body.endswith(unit):
        body = body[: -len(unit)].strip()
    match = re.fullmatch(r"(-?[0-9.]+)\s*(trillion|billion|million)?\s*([EPTGMkmµn]?)", body)
    assert match, f"cannot read a number in {text!r} ({kind}, {unit})"
    number, word, prefix = match.groups()
    value = float(number) * (WORDS[word] if word else 1.0)
    if kind in ("time", "bytes", "flop"):
        value *= SI[prefix]
    else:
        assert not prefix, f"unexpected prefix in {text!r}"
    return value


def compare(shown: dict, expected: dict, label: str) -> list[str]:
    """Every output against lib: the value behind it to 1e-9, the text a reader sees to 0.1%, words exactly."""
    problems = []
    assert set(shown) == set(expected), f"{label}: outputs {set(shown) ^ set(expected)} differ from lib's"
    for key, want in expected.items():
        got = shown[key]
        if isinstance(want, str):
            if got["text"] != want or got["value"] is not None:
                problems.append(f"{label} {key}: page shows {got['text']!r}, lib {want!r}")
            continue
        if got["value"] is None:
            problems.append(f"{label} {key}: page shows {got['text']!r}, lib {want!r}")
            continue
        value = float(got["value"])
        if not math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-300):
            problems.append(f"{label} {key}: page computes {value!r}, lib {want!r}")
        read = shown_number(got["text"], got["kind"], got["unit"])
        if not math.isclose(read, want, rel_tol=1e-3):
            problems.append(f"{label} {key}: page shows {got['text']!r}, lib {want!r}")
        if got["kind"] == "int" and read != want:
            problems.append(f"{label} {key}: page shows {got['text']!r}, lib {want!r} (a whole number)")
    return problems


def config_changes(config: Config, previous: Config | None) -> list[tuple[str, str, str]]:
    """The changes that bring the form from ``previous`` to ``config``, in order, each ("set", field, value) or
    ("ensure", field, value) (set only when the field shows another value): pick the rows (picking another first
    when the same row must lose its edits), type the edits, set the precisions and the serving fields."""
    changes = []
    if previous is not None and previous.hardware == config.hardware and previous.hardware_edits:
        changes.append(("set", "hardware", next(h.name for h in data.load_hardware() if h.name != config.hardware)))
    if previous is None or previous.hardware != config.hardware or previous.hardware_edits:
        changes.append(("set", "hardware", config.hardware))
    if previous is not None and previous.model == config.model and previous.model_edits:
        changes.append(("set", "model", next(m.name for m in data.load_models() if m.name != config.model)))
    if previous is None or previous.model != config.model or previous.model_edits:
        changes.append(("set", "model", config.model))
    changes += [("set", name, value) for name, value in config.hardware_edits + config.model_edits]
    p = precisions_of(config)
    wanted = dict(zip(("weights_precision", "experts_precision", "kv_precision", "attention_precision"),
                      (p.weights, p.experts, p.kv, p.attention)))
    wanted.update(zip(SERVING_FIELDS, config.serving))
    if wanted["price"] is None:  # the page's default, as its script writes a number
        wanted["price"] = repr(config.price).removesuffix(".0")
    return changes + [("ensure", name, value) for name, value in wanted.items()]


def case_changes(cases) -> list[list[tuple[str, str, str]]]:
    """For each case in turn, the changes from the case before: the configuration's when it changes, then the
    point's context and batch."""
    out, previous = [], None
    for config, point in cases:
        changes = config_changes(config, previous) if config != previous else []
        previous = config
        out.append(changes + [("ensure", name, value) for name, value in zip(POINT_FIELDS, point)])
    return out


#: Every case of the grid in one call: each change sets a field's value and fires the events the real control
#: fires when a reader types or picks (Playwright's fill and select_option: "input"; a menu also "change"), then
#: the case is read once the page has drawn it. A value a menu does not offer is an error, as with select_option.
DRIVE = """async ({cases, chartEvery}) => {
  const read = """ + READ + """;
  const states = [];
  for (let i = 0; i < cases.length; i++) {
    for (const [op, name, value] of cases[i]) {
      const el = document.getElementById('calc-' + name);
      if (op === 'ensure' && el.value === value) continue;
      el.value = value;
      if (el.value !== value) throw new Error(`calc-${name} does not offer ${JSON.stringify(value)}`);
      el.dispatchEvent(new Event('input', {bubbles: true}));
      if (el.tagName === 'SELECT') el.dispatchEvent(new Event('change', {bubbles: true}));
    }
    states.push(await read(i % chartEvery === 0));
  }
  return states;
}"""


def type_changes(page, changes) -> None:
    """Make the changes through the real controls, as a reader types and picks (tests/browser.py set_control)."""
    controls = None
    for op, name, value in changes:
        if op == "ensure":
            if controls is None:
                controls = page.evaluate(READ)["controls"]
            if controls[name] == value:
                continue
        set_control(page, name, value)
        if controls is not None:
            controls[name] = value


def expected_values(cases) -> list[dict]:
    """lib's values for every case (the per-operation B* once per configuration)."""
    bstars: dict[Config, dict] = {}
    out = []
    for config, point in cases:
        hw, model, p = hardware_row(config), model_row(config), precisions_of(config)
        chips, prompt, cached, _, speed = config.serving
        sc = Scenario(int(point[0]), int(point[1]), None if chips == "auto" else int(chips), int(prompt), int(cached),
                      config.price, float(speed))
        if config not in bstars:
            bstars[config] = calculator.operation_optimal_batches(hw, model, p)
        out.append(calculator.displayed_values(hw, model, p, sc, bstars[config]))
    return out


def test_page_matches_lib_over_the_grid(calc):
    """≥ 50 cases set in the form, field by field with the events of a reader's typing and picking (one call,
    DRIVE; test_typed_cases_match_lib types some of them for real); every value shown must be lib's (to 0.1% as
    shown)."""
    assert len(CASES) >= 50
    page, problems = calc, []
    # lib computes in a second thread while the browser draws (Playwright waits without holding the GIL)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    lib_values = pool.submit(expected_values, CASES)
    start = page.evaluate("window.bookCalculator.timings.length")
    kinds = {"does not fit": 0, "fits": 0, "explicit chips": 0, "auto chips": 0, "moe": 0, "dense": 0, "mla": 0,
             "gqa": 0, "window": 0, "sparse attention": 0}
    # DSA's two regimes, in both phases, among points that fit: the main attention reads every token up to the
    # top-k, the top-k beyond it
    sparse = {"decode L ≤ k": 0, "decode L > k": 0, "prefill P ≤ k": 0, "prefill P > k": 0}
    shown = page.evaluate(DRIVE, {"cases": case_changes(CASES), "chartEvery": 6})
    pool.shutdown()
    assert len(shown) == len(CASES)
    for index, ((config, point), state, expected) in enumerate(zip(CASES, shown, lib_values.result())):
        chart = state["chart"]
        hw, model, p = hardware_row(config), model_row(config), precisions_of(config)
        chips = config.serving[0]
        label = f"[{index}] {config.hardware} × {config.model}, L = {point[0]}, B = {point[1]}, n = {chips}"
        if (state["controls"]["context"], state["controls"]["batch"]) != point:
            problems.append(f"{label}: the form holds L = {state['controls']['context']}, "
                            f"B = {state['controls']['batch']}")
        problems += compare(state["out"], expected, label)
        for bad in ("NaN", "Infinity", "undefined", "null"):
            if bad in state["text"]:
                problems.append(f"{label}: {bad!r} on the page")
        kinds["does not fit" if expected["fits"] == DOES_NOT_FIT else "fits"] += 1
        kinds["auto chips" if chips == "auto" else "explicit chips"] += 1
        kinds["moe" if model.is_moe else "dense"] += 1
        kinds["mla" if model.attention == "mla" else "gqa"] += 1
        kinds["window"] += model.sliding_window_layers > 0
        if model.is_sparse_attention:
            kinds["sparse attention"] += 1
            k = model.sparse_topk_tokens
            if expected["fits"] == "yes":
                sparse["decode L ≤ k" if int(point[0]) <= k else "decode L > k"] += 1
            if isinstance(expected["ttft_s"], float):
                sparse["prefill P ≤ k" if int(config.serving[1]) <= k else "prefill P > k"] += 1
        if chart is not None and expected["fits"] == "yes":  # the chart's curve, batch by batch
            curve = calculator.cost_curve(hw, model, p, float(point[0]), int(expected["chips"]), config.price,
                                          [row[0] for row in chart])
            for (batch_shown, usd_shown), (_, usd) in zip(chart, curve):
                if (usd_shown is None) != (usd is None) or (usd is not None and not math.isclose(usd_shown, usd,
                                                                                                  rel_tol=1e-9)):
                    problems.append(f"{label}: chart at batch {batch_shown}: page {usd_shown}, lib {usd}")
    assert not problems, f"{len(problems)} values differ from lib:\n" + "\n".join(problems[:40])
    assert all(count >= 5 for count in kinds.values()), kinds
    assert all(count >= 2 for count in sparse.values()), sparse
    names = {config.model for config, _ in CASES}
    assert {DSA, "Llama 2 70B", "PaLM 540B"} <= names
    timings = page.evaluate(f"window.bookCalculator.timings.slice({start})")
    assert timings and all(math.isfinite(t) and t >= 0 for t in timings)
    print(f"\ncalculator: {len(CASES)} cases, {len(timings)} redraws, median {statistics.median(timings):.0f} ms, "
          f"max {max(timings):.0f} ms")


#: The cases typed and picked through the real controls: a configuration with the accelerator's fields edited
#: and the precisions set, and one with the model's fields edited (both rows picked, serving fields, points).
TYPED = [case for case in CASES if case[0] in (CONFIGS[2], CONFIGS[3])]


def test_typed_cases_match_lib(calc):
    """Some of the grid's cases typed into the fields and picked from the menus as a reader does (Playwright):
    every value shown must be lib's."""
    assert len(TYPED) == 2 * PER_CONFIG and {c.hardware_edits != () for c, _ in TYPED} == {True, False}
    page, problems = calc, []
    for index, (changes, (config, point), expected) in enumerate(zip(case_changes(TYPED), TYPED,
                                                                      expected_values(TYPED))):
        type_changes(page, changes)
        state = page.evaluate(READ)
        label = f"[typed {index}] {config.hardware} × {config.model}, L = {point[0]}, B = {point[1]}"
        assert state["controls"]["context"] == point[0] and state["controls"]["batch"] == point[1], label
        problems += compare(state["out"], expected, label)
    assert not problems, f"{len(problems)} values differ from lib:\n" + "\n".join(problems[:40])


# --------------------------------------------------------------------------------------------------
# The address, the copied row, bad input


EDITED_LINK = (("hardware", "GB200 NVL72"), ("hbm_capacity_GB", "150"), ("dense_fp4_TFLOPs", ""),
               ("model", "gpt-oss-120b"), ("layers", "30"), ("weights_precision", "fp8"), ("kv_precision", "fp8"),
               ("attention_precision", "bf16"),  # the grid's last configuration may have left another
               ("context", "65536"), ("batch", "37"), ("chips", "4"), ("price", "3.25"), ("speed", "75"),
               ("prompt", "2048"), ("cached", "512"))


def test_a_link_reproduces_the_configuration(site, calc):
    b, url = site
    page = calc
    for name, value in EDITED_LINK:
        set_control(page, name, value)
    before = page.evaluate(READ)
    assert "hbm_capacity_GB=150" in before["url"] and "batch=37" in before["url"] and "layers=30" in before["url"]
    query = before["url"][before["url"].index("?"):]
    other = open_calculator(b, url, query)
    after = other.evaluate(READ)
    other.context.close()
    for name, value in EDITED_LINK:
        assert after["controls"][name] == value, name
    assert after["controls"] == before["controls"]
    assert {k: (v["text"], v["value"]) for k, v in after["out"].items()} == \
           {k: (v["text"], v["value"]) for k, v in before["out"].items()}
    # and the numbers are lib's for that configuration
    config = Config("GB200 NVL72", "gpt-oss-120b", ("4", "2048", "512", "3.25", "75"),
                    (("hbm_capacity_GB", "150"), ("dense_fp4_TFLOPs", "")), (("layers", "30"),),
                    ("fp8", "mxfp4", "fp8", "bf16"))
    expected = calculator.displayed_values(hardware_row(config), model_row(config), precisions_of(config),
                                           Scenario(65536, 37, 4, 2048, 512, 3.25, 75.0))
    assert not compare(after["out"], expected, "link")


def _row_text(page) -> str:
    return page.locator("#calc-row").input_value()


def test_the_copied_row_is_a_valid_hardware_csv_row(site, calc, tmp_path):
    b, url = site
    page = calc
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    set_control(page, "hardware", "H200 SXM")
    set_control(page, "hardware", "H100 SXM")
    book_header = (ROOT / "data" / "hardware.csv").read_text(encoding="utf-8").splitlines()[0]
    # Unedited: the book's own row, as lib reads it
    text = _row_text(page)
    assert text.splitlines()[0] == book_header
    path = tmp_path / "hardware.csv"
    path.write_text(text, encoding="utf-8")
    (row,) = data.read_table(HARDWARE_SCHEMA, tmp_path)
    book = next(r for r in data.read_table(HARDWARE_SCHEMA) if r["name"] == "H100 SXM")
    assert {k: v for k, v in row.items() if k != "_line"} == {k: v for k, v in book.items() if k != "_line"}
    # Edited: a new name, the changes named in the notes, values as typed, and lib's validation passes
    for name, value in (("hbm_capacity_GB", "141"), ("dense_fp4_TFLOPs", "4000"), ("tdp_W", "750")):
        set_control(page, name, value)
    page.click("#calc-copy")
    page.wait_for_function("document.getElementById('calc-copy-status').textContent.length > 0")
    text = _row_text(page)
    assert page.evaluate("navigator.clipboard.readText()") == text
    assert "Copied" in page.locator("#calc-copy-status").inner_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == book_header.split(",") and len(rows) == 2
    scratch = tmp_path / "data"
    scratch.mkdir()
    (scratch / "models.csv").write_text((ROOT / "data" / "models.csv").read_text(encoding="utf-8"), encoding="utf-8")
    book_rows = (ROOT / "data" / "hardware.csv").read_text(encoding="utf-8").rstrip("\n")
    (scratch / "hardware.csv").write_text(book_rows + "\n" + text.splitlines()[1] + "\n", encoding="utf-8")
    assert data.check_data_dir(scratch) == []  # appended to the book's file: valid, and a name of its own
    edited = data.get_hardware("H100 SXM (edited)", scratch)
    assert edited.hbm_capacity_bytes == 141e9 and edited.flops_per_s["fp4"] == 4000e12 and edited.tdp_W == 750
    assert "hbm_capacity_GB 80 → 141" in edited.extra["notes"] and "H100 SXM" in edited.source
    copied = dict(zip(rows[0], rows[1]))
    assert copied["provenance"] == calculator.EDITED_ROW_PROVENANCE == "assumption" and book["provenance"] == "primary"
    # A bad accelerator field: no row to copy; a bad field the model does not read leaves the numbers shown
    set_control(page, "hbm_bandwidth_TBps", "fast")
    assert _row_text(page) == ""
    set_control(page, "hbm_bandwidth_TBps", "3.35")
    set_control(page, "year", "soon")
    state = page.evaluate(READ)
    assert _row_text(page) == "" and state["out"]["ridge"]["value"] is not None
    assert "Not a whole number" not in page.locator("#calc-msg-year").inner_text()  # it is not a number at all
    assert "Not a number" in page.locator("#calc-msg-year").inner_text()
    set_control(page, "hardware", "H200 SXM")


BAD_INPUTS = (
    ("batch", "", "Blank"), ("batch", "-3", "Negative"), ("batch", "abc", "Not a number"),
    ("batch", "2.5", "Not a whole number"), ("context", "-1", "Negative"), ("hbm_capacity_GB", "0", "Zero"),
    ("hbm_bandwidth_TBps", "", "Blank"), ("price", "x", "Not a number"), ("speed", "0", "Zero"),
    ("chips", "0", "Too small"), ("chips", "", "Blank"), ("layers", "1e400", "Too large"),
    ("active_experts", "300", "active experts ≤ routed experts"), ("cached", "9000", "at least one new"),
)


FIELD_STATE = """async (name) => {
  await window.bookCalculator.settled();
  const root = document.getElementById('book-calculator'), msg = document.getElementById('calc-msg-' + name);
  return {message: msg.textContent, shown: msg.offsetParent !== null,
          invalid: document.getElementById('calc-' + name).getAttribute('aria-invalid'),
          status: document.getElementById('calc-status').textContent, text: root.innerText,
          outputs: Array.from(root.querySelectorAll('output[data-out]')).map(o => [o.textContent, o.dataset.value])};
}"""


def test_bad_input_is_named_beside_its_field_never_nan(calc):
    page = calc
    set_control(page, "hardware", "H100 SXM")
    set_control(page, "model", "DeepSeek-V3")
    good = page.evaluate(READ)
    for name, value, words in BAD_INPUTS:
        set_control(page, name, value)
        state = page.evaluate(FIELD_STATE, name)
        assert state["shown"] and words in state["message"], (name, value, state["message"])
        assert state["invalid"] == "true" and "marked in red" in state["status"], (name, value)
        assert all(text == "—" and number is None for text, number in state["outputs"]), (name, value)
        for bad in ("NaN", "Infinity", "undefined"):
            assert bad not in state["text"], (name, value, bad)
        set_control(page, name, good["controls"][name])
        assert page.evaluate(FIELD_STATE, name)["message"] == ""
    assert page.evaluate(READ)["out"] == good["out"]


def test_sparse_attention_fields_are_checked_as_models_csv_is(calc):
    """DSA's three fields: a top-k without its indexer, or an indexer without a top-k, is named beside the field
    in lib.data's own words (its row check of models.csv), and nothing is computed from it."""
    page = calc
    set_control(page, "hardware", "H200 SXM")
    set_control(page, "model", DSA)
    set_control(page, "chips", "auto")
    good = page.evaluate(READ)
    row = {n: int(good["controls"][n]) for n in ("sparse_topk_tokens", "indexer_heads", "indexer_head_dim")}
    assert row == {"sparse_topk_tokens": 2048, "indexer_heads": 64, "indexer_head_dim": 128}
    for name, value in (("indexer_heads", "0"), ("indexer_head_dim", "0"), ("sparse_topk_tokens", "0")):
        set_control(page, name, value)
        problems = list(data._sparse_attention({**row, name: int(value)}))
        assert [column for column, *_ in problems] == [name]
        state = page.evaluate(FIELD_STATE, name)
        assert state["message"] == "Expected " + problems[0][2], (name, state["message"])
        assert state["invalid"] == "true" and "marked in red" in state["status"], name
        assert all(text == "—" and number is None for text, number in state["outputs"]), name
        set_control(page, name, good["controls"][name])
        assert page.evaluate(FIELD_STATE, name)["message"] == ""
    # Turning DSA off entirely is a dense-attention model: the indexer's row is absent
    for name in ("sparse_topk_tokens", "indexer_heads", "indexer_head_dim"):
        set_control(page, name, "0")
    off = page.evaluate(READ)
    assert all(off["out"][f"op_attention_index_{k}"]["text"] == calculator.ABSENT for k in ("flops", "bytes", "s"))
    assert off["out"]["op_attention_core_flops"]["value"] is not None and "marked in red" not in off["text"]
    set_control(page, "model", "DeepSeek-V3")
    set_control(page, "model", DSA)
    assert page.evaluate(READ)["out"] == good["out"]


# --------------------------------------------------------------------------------------------------
# Screens, and the redraw time


SIZES = """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
    calc: document.getElementById('book-calculator').getBoundingClientRect().right,
    chart: document.querySelector('#calc-chart svg').getBoundingClientRect().right,
    drawn: document.querySelectorAll('#calc-chart svg .mark-line path').length})"""


def _fits_the_screen(page, line: bool = True) -> None:
    page.evaluate("document.querySelectorAll('.book-calculator details').forEach(d => d.open = true)")
    sizes = page.evaluate(SIZES)
    assert sizes["page"] <= sizes["view"], sizes
    assert sizes["calc"] <= sizes["view"] and sizes["chart"] <= sizes["view"] + 0.5, sizes
    assert sizes["drawn"] >= line, sizes


def test_a_phone_screen_and_an_unknown_row_in_a_link(site, calc):
    """At 390 px (and at 1280 px) nothing scrolls sideways; a link naming a row the data lack says so."""
    b, url = site
    _fits_the_screen(calc, line=False)  # 1280 px, whatever the tests before left in its form
    page = open_calculator(b, url, "?hardware=Nonexistent+chip&batch=12", width=390)
    state = page.evaluate(READ)
    try:
        _fits_the_screen(page)
    finally:
        page.context.close()
    assert state["controls"]["hardware"] == data.DEFAULT_HARDWARE and state["controls"]["batch"] == "12"
    assert "No accelerator named “Nonexistent chip”" in state["text"]


def test_redraw_times_are_recorded(calc):
    """The times `make bench` reports: measured here on the same changes, reported, not asserted."""
    timings = calculator_redraw_ms(calc)
    assert len(timings) == len(__import__("browser").CALCULATOR_CHANGES)
    assert all(math.isfinite(t) and t > 0 for t in timings)
    print(f"\ncalculator redraw: median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms")
