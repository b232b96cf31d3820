"""Provenance and citations: every table says what its values rest on, and no row cites a local file, a staging
or mirror host, or nothing at all."""

import pytest

import csv
import re

from conftest import rewrite_cell
from lib import data
from lib.data import Column, DataError, TableSchema


def test_no_row_of_any_table_cites_a_local_file_a_staging_host_or_nothing():
    problems = data.citation_report()
    assert problems == [], "\n".join(str(p) for p in problems)


def without_a_validated_provenance(schemas) -> list[str]:
    """The files among ``schemas`` that lack a required ``provenance`` column with exactly the book's grades."""
    bad = []
    for schema in schemas:
        column = next((c for c in schema.columns if c.name == "provenance"), None)
        if column is None or column.kind != "enum" or column.choices != data.PROVENANCE or not column.required:
            bad.append(schema.file)
    return bad


def test_every_table_has_a_validated_provenance_column():
    data._import_table_owners()
    assert {"hardware.csv", "models.csv", "scaling_laws.csv", "scale_up_domains.csv"} <= set(data.SCHEMAS)
    assert without_a_validated_provenance(data.SCHEMAS.values()) == []
    # and every table's file holds the column (the schema is what the loader checks; the file is what a reader sees)
    for schema in data.SCHEMAS.values():
        with (data.DEFAULT_DATA_DIR / schema.file).open(newline="", encoding="utf-8") as handle:
            assert "provenance" in next(csv.reader(handle)), schema.file


def test_the_provenance_check_finds_a_table_without_the_column_or_with_other_grades():
    bare = TableSchema(file="bare.csv", columns=(Column("name", "str"), Column("source", "str")))
    loose = TableSchema(file="loose.csv", columns=(Column("name", "str"), Column("provenance", "str")))
    other = TableSchema(file="other.csv", columns=(Column("name", "str"),
                                                   Column("provenance", "enum", choices=("primary", "hearsay"))))
    good = TableSchema(file="good.csv", columns=(Column("name", "str"), data.provenance_column()))
    assert without_a_validated_provenance([bare, loose, other, good]) == ["bare.csv", "loose.csv", "other.csv"]


def test_hardware_rows_are_graded_by_their_main_source_and_inferred_cells_stay_listed():
    rows = {r["name"]: r for r in data.read_table(data.HARDWARE_SCHEMA)}
    from lib import provenance
    inferred = {v.hardware for v in provenance.load_inferred()}
    # A datasheet row with inferred cells is primary; the cells are in inferred_values.csv, not the grade.
    assert rows["Rubin (announced)"]["provenance"] == "primary" and "Rubin (announced)" in inferred
    assert rows["H100 SXM"]["provenance"] == "primary"
    # The H800's datasheet was never read: its figures rest on secondary pages.
    assert rows["H800 SXM"]["provenance"] == "secondary"
    assert "provenance" not in provenance.INFERABLE_COLUMNS
    # The column's meaning, shown in every error about it, points to the per-cell table.
    assert "inferred_values.csv" in data.HARDWARE_SCHEMA.column("provenance").expectation()


def test_an_old_hardware_csv_without_provenance_gets_one_problem_naming_file_and_column(data_copy):
    for table in ("hardware.csv", "models.csv"):
        path = data_copy / table
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        drop = rows[0].index("provenance")
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([r[:drop] + r[drop + 1:] for r in rows])
    data.clear_cache()
    with pytest.raises(DataError) as error:
        data.load_hardware(data_copy)
    (p,) = error.value.problems
    assert p.file == str(data_copy / "hardware.csv") and p.line == 1 and p.column == "provenance"
    assert "hardware.csv" in str(error.value) and "'provenance'" in str(error.value)
    assert "primary, secondary, estimate, assumption" in p.expected and "written before" in p.expected
    # check-data reports both old tables, one problem each
    problems = data.check_data_dir(data_copy)
    assert sorted((p.file.rsplit("/", 1)[-1], p.column) for p in problems) == [
        ("hardware.csv", "provenance"), ("models.csv", "provenance")]


@pytest.mark.parametrize("source, expected", [
    ("http://sibshop.uat.jiralog.com/ec2/capacityblocks/pricing", "staging"),
    ("https://staging.example.com/pricing", "staging"),
    ("https://example.org/a (mirror of https://aws.amazon.com/ec2/pricing/)", "mirror"),
    ("http://127.0.0.1:8000/prices", "staging"),
    ("https://techspot.com/x ; data/hardware.csv", "local file"),
    ("see lib/power.py", "local file"),
    ("", "no address or citation"),
    ("from memory", "no address"),
])
def test_citation_check_names_what_is_wrong(source, expected):
    problems = data.citation_problems(source)
    assert problems and any(expected in p for p in problems), problems


@pytest.mark.parametrize("source, provenance", [
    ("https://aws.amazon.com/ec2/pricing/on-demand/ ; https://github.com/dstackai/dstack/pull/4110", "secondary"),
    ("Kopp, G. and Lean, J. L. (2011), A new, lower value of total solar irradiance", "primary"),
    ("Hoffmann et al. (2022), arXiv:2203.15556", "primary"),
    ("NVIDIA H100 Tensor Core GPU datasheet", "primary"),
    ("This book (assumption)", "assumption"),
    ("https://github.com/github/docs/blob/main/data/tables/copilot/models-and-pricing.yml", "secondary"),
])
def test_citation_check_accepts_addresses_citations_and_reasoned_assumptions(source, provenance):
    assert data.citation_problems(source, provenance) == []


def test_a_bad_citation_in_a_copy_is_reported_with_file_line_and_row(data_copy):
    rewrite_cell(data_copy / "accelerator_costs.csv", "H100 SXM on Lambda", "source",
                 "http://shop.uat.example.com/pricing (mirror of https://lambda.ai/pricing)")
    problems = data.citation_report(data_copy)
    assert {p.row_name for p in problems} == {"H100 SXM on Lambda"}
    assert all(p.file.endswith("accelerator_costs.csv") and p.column == "source" and p.line == 5 for p in problems)


def test_an_unknown_provenance_is_rejected_with_its_choices(data_copy):
    rewrite_cell(data_copy / "prices.csv", "GPT-5.4", "provenance", "hearsay")
    problems = data.check_data_dir(data_copy)
    assert len(problems) == 1
    p = problems[0]
    assert p.column == "provenance" and p.value == "hearsay" and "primary, secondary, estimate, assumption" in p.expected


def test_provenance_counts_add_up_to_the_rows_of_each_table():
    counts = data.provenance_counts()
    assert set(counts) == {s.file for s in data.SCHEMAS.values()}
    for file, tally in counts.items():
        assert sum(tally.values()) == len(data.read_table(data.SCHEMAS[file])), file
    # Spot checks against the files: every claim is the talk itself; the demand table holds two book assumptions.
    assert counts["claims.csv"] == {"primary": 27, "secondary": 0, "estimate": 0, "assumption": 0}
    assert counts["serving_demand.csv"]["assumption"] == 2
    # The four tables graded last (issue 22), counted by hand from the files.
    assert counts["hardware.csv"] == {"primary": 18, "secondary": 1, "estimate": 0, "assumption": 0}
    assert counts["models.csv"] == {"primary": 13, "secondary": 1, "estimate": 0, "assumption": 0}
    assert counts["scaling_laws.csv"] == {"primary": 2, "secondary": 1, "estimate": 0, "assumption": 0}
    assert counts["scale_up_domains.csv"] == {"primary": 17, "secondary": 2, "estimate": 1, "assumption": 0}


def test_ended_must_be_a_date_not_before_as_of(data_copy):
    rewrite_cell(data_copy / "prices.csv", "Claude Sonnet 4.6 (>200k)", "ended", "2026-01-01")
    with pytest.raises(DataError, match="on or after as_of"):
        data.read_table(data.SCHEMAS["prices.csv"], data_copy)
    rewrite_cell(data_copy / "prices.csv", "Claude Sonnet 4.6 (>200k)", "ended", "March 2026")
    with pytest.raises(DataError, match="YYYY-MM-DD"):
        data.read_table(data.SCHEMAS["prices.csv"], data_copy)


#: Columns that hold a price, a cost or a power, by name; a key-value table's row, by its unit (USD, W, kWh).
PRICED = re.compile(r"(usd|price|cost|_W$|power)", re.I)
PRICED_UNIT = re.compile(r"(USD|\bW\b|^W/|kWh|MW|GW)")
DATES = ("as_of", "date", "year")


def undated_values(directory) -> list[str]:
    """'file, line N: what' for each row that holds a price, a cost or a power but no date (its table's first of
    as_of, date and year: memory_tiers.csv's year is the device's, its as_of the price's)."""
    data._import_table_owners()
    out = []
    for schema in data.SCHEMAS.values():
        path = directory / schema.file
        if not path.is_file():
            continue
        names = {c.name for c in schema.columns}
        priced = [c.name for c in schema.columns if PRICED.search(c.name)]
        dates = [d for d in DATES if d in names][:1]
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                held = [c for c in priced if (row.get(c) or "").strip()]
                if "unit" in names and PRICED_UNIT.search(row.get("unit") or ""):
                    held.append(f"value in {row['unit']}")
                if held and not any((row.get(d) or "").strip() for d in dates):
                    out.append(f"{schema.file}, line {line}: {', '.join(held)}")
    return out


def test_every_price_cost_and_power_has_an_as_of_date(data_copy):
    assert undated_values(data.DEFAULT_DATA_DIR) == []
    # and the check finds them: a memory tier's price without its date (the schema refuses it too), and
    # DeepSeek's day without its date column (its list prices and the $2 GPU-hour are that day's)
    rewrite_cell(data_copy / "memory_tiers.csv", "H100 SXM HBM3", "as_of", "")
    path = data_copy / "deepseek_day.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    drop = rows[0].index("as_of")
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([r[:drop] + r[drop + 1:] for r in rows])
    found = undated_values(data_copy)
    assert "memory_tiers.csv, line 2: price_USD" in found
    day = [f for f in found if f.startswith("deepseek_day.csv")]
    assert "deepseek_day.csv, line 6: value in USD/GPU-hour" in day and len(day) == 6  # cost, prices, revenue
    with pytest.raises(DataError, match="as_of"):
        data.read_table(data.SCHEMAS["deepseek_day.csv"], data_copy)
