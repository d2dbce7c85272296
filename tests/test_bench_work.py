"""bench/work.py: how much each engine reads for a query — our plan's terms (every field of a
model at once) against tantivy's words × fields — so the time ratio can be read beside the work."""
from __future__ import annotations

from bench import inproc, work
from bench.tantivy_engine import _words
from tests.test_bench_paired import _both_indexes


def test_every_query_counts_what_each_engine_reads_on_its_first_sight(tmp_path):
    ours, ip = _both_indexes(tmp_path)
    queries = ["VPN 连不上", "0x80070005", "打印机脱机", "密码忘了怎么办"]
    got = work.measure(ip / "index", ip, tmp_path / "tv", queries, inproc._synonyms(ours))
    assert got["queries"] == len(queries)
    assert [r["query"] for r in got["rows"]] == queries

    eng = inproc._engine(ip, ours)
    try:
        for row in got["rows"]:
            q = row["query"]
            words = list(dict.fromkeys(_words(q, False)))
            assert row["tantivy_terms"] == 2 * len(words)
            assert row["tantivy_postings"] > 0
            # the search's matches all hold one of the terms it computed
            total = eng.search(q, per_page=10).total
            assert 0 < total <= row["ours_docs"]
            assert row["ours_terms"] >= 1
    finally:
        eng.close()
    # our plan reads more than the query's own words: 连不上 brings its colloquial variants
    vpn = got["rows"][0]
    assert vpn["ours_terms"] > vpn["tantivy_terms"] // 2
    sums = {k: sum(r[k] for r in got["rows"]) for k in ("ours_docs", "tantivy_postings")}
    assert got["docs_ratio"] == sums["ours_docs"] / sums["tantivy_postings"]


def test_each_query_starts_from_no_cached_term(tmp_path):
    """A query's terms are its own: nothing is left from the query before it."""
    ours, ip = _both_indexes(tmp_path)
    got = work.measure(ip / "index", ip, tmp_path / "tv", ["VPN 连不上", "打印机脱机", "VPN 连不上"],
                       inproc._synonyms(ours))
    vpn, printer, again = got["rows"]
    assert "vpn" in vpn["ours_term_texts"] and "打印机" in printer["ours_term_texts"]
    assert "vpn" not in printer["ours_term_texts"]
    assert again == vpn | {"query": "VPN 连不上"}


def test_the_printed_lines_give_both_engines_and_the_ratio(tmp_path):
    ours, ip = _both_indexes(tmp_path)
    got = work.measure(ip / "index", ip, tmp_path / "tv", ["VPN 连不上"], inproc._synonyms(ours))
    text = "\n".join(work.lines(got))
    assert "ours: terms computed" in text and "tantivy: words × fields" in text
    assert f"{got['docs_ratio']:.2f}× the postings" in text


def test_the_command_line_wants_the_three_folders(capsys):
    assert work.main([]) == 2
    assert "python -m bench.work" in capsys.readouterr().err


def test_the_report_shows_the_work_beside_the_ratio(tmp_path):
    from bench.report import markdown

    ours, ip = _both_indexes(tmp_path)
    got = work.measure(ip / "index", ip, tmp_path / "tv", ["VPN 连不上", "打印机脱机"],
                       inproc._synonyms(ours))
    md = markdown({"ours": {"work": got}, "10k": {}})
    line = next(x for x in md.splitlines() if "bench/work.py" in x)
    cells = [c.strip() for c in line.split("|")[2:4]]
    assert cells[1] == "–"                       # a set the work was not measured on
    ours_part, tantivy_part, ratio = cells[0].split("; ")
    assert ours_part.startswith(f"{got['ours_terms']['median']:g} (")
    assert f"{got['ours_docs']['median']:,.0f}" in ours_part
    assert tantivy_part.startswith(f"{got['tantivy_terms']['median']:g} (")
    assert f"{got['tantivy_postings']['median']:,.0f}" in tantivy_part
    assert ratio == f"{got['docs_ratio']:.2f}×"
