"""Provenance and citations: every table says what its values rest on, and no row cites a local file, a staging
or mirror host, or nothing at all."""

import pytest

from conftest import rewrite_cell
from lib import data
from lib.data import DataError

#: Tables others are changing now; they get a provenance column later (issue 22).
WITHOUT_PROVENANCE = {"hardware.csv", "models.csv", "scaling_laws.csv", "scale_up_domains.csv"}


def test_no_row_of_any_table_cites_a_local_file_a_staging_host_or_nothing():
    problems = data.citation_report()
    assert problems == [], "\n".join(str(p) for p in problems)


def test_every_table_but_four_has_a_validated_provenance_column():
    data._import_table_owners()
    for schema in data.SCHEMAS.values():
        has = "provenance" in {c.name for c in schema.columns}
        assert has == (schema.file not in WITHOUT_PROVENANCE), schema.file
        if has:
            assert schema.column("provenance").choices == data.PROVENANCE


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
    assert set(counts) == {s.file for s in data.SCHEMAS.values()} - WITHOUT_PROVENANCE
    for file, tally in counts.items():
        assert sum(tally.values()) == len(data.read_table(data.SCHEMAS[file])), file
    # Spot checks against the files: every claim is the talk itself; the demand table holds two book assumptions.
    assert counts["claims.csv"] == {"primary": 27, "secondary": 0, "estimate": 0, "assumption": 0}
    assert counts["serving_demand.csv"]["assumption"] == 2


def test_ended_must_be_a_date_not_before_as_of(data_copy):
    rewrite_cell(data_copy / "prices.csv", "Claude Sonnet 4.6 (>200k)", "ended", "2026-01-01")
    with pytest.raises(DataError, match="on or after as_of"):
        data.read_table(data.SCHEMAS["prices.csv"], data_copy)
    rewrite_cell(data_copy / "prices.csv", "Claude Sonnet 4.6 (>200k)", "ended", "March 2026")
    with pytest.raises(DataError, match="YYYY-MM-DD"):
        data.read_table(data.SCHEMAS["prices.csv"], data_copy)
