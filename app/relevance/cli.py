"""``kb eval``: relevance of search over a labelled query set, optionally beside plain baselines."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .corpus import DEFAULT_CORPUS, OWN_SET, close, corpus_app, query_files

HELP = (
    "搜索相关性评测：按查询类型打印 R@1、R@5（截断召回率）、MRR@10、Hit@10。"
    "默认用 tests/relevance/*.yaml 评测本库文章；--set corpus 用外部语料评测集（tests/relevance/corpus/，"
    "默认只跑调参的 tune 一半），在自己的临时实例里导入 ../shared/corpus，不动门户的数据库和索引。"
)


@click.command("eval", help=HELP)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "set_name", type=click.Choice(["ours", "corpus"]), default="ours", show_default=True,
              help="ours：本库文章（门户当前的索引）；corpus：../shared/corpus 语料。")
@click.option("--half", type=click.Choice(["tune", "test", "test2", "held-out", "all"]), default=None,
              help="corpus 评测集的哪一部分（默认 tune；test 和 test2 是两个留出集，只在报告时跑；"
                   "held-out 把两个留出集合在一起按类型统计；all 同时列出各部分的总计）。")
@click.option("--baselines", is_flag=True, help="同时用 jieba+BM25 和 SQLite FTS5 trigram 两个朴素基线跑同一批查询，并列出比值。")
@click.option("--paired", is_flag=True,
              help="逐条查询与每个基线配对比较：按类型列出 MRR@10 之差、配对自助法（bootstrap）95% 区间、"
                   "胜/平/负的查询数，以及差值达到 0.10 的重抽样比例；会自动打开 --baselines。")
@click.option("--misses", is_flag=True, help="列出排名不是第一的查询（--half all 时只列 tune 一半的，留出集只给数目）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"语料文件夹（默认 {DEFAULT_CORPUS}）。")
@click.option("--rebuild", is_flag=True, help="重新导入语料并重建它的索引（缓存在 KB_INSTANCE_DIR/eval/）。")
@click.option("--folds", type=click.IntRange(2, 10), default=None,
              help="交叉验证：把查询按类型分层分成 K 折，逐折列出 MRR@10、Hit@10（及均值、最小值、极差）。")
@click.option("--variant", "variants", multiple=True, metavar="模块.常量=值[;…]",
              help="调参试验：在同一次运行里再跑一遍改了排序常量的版本（如 ranking.PROXIMITY_WEIGHT=0），"
                   "逐折、逐类型列出与当前代码的差值。可重复；只用于 indexer 的 query、ranking 模块。")
@with_appcontext
def eval_command(files, set_name, half, baselines, paired, misses, as_json, corpus_dir, rebuild, folds,
                 variants) -> None:
    """Relevance of search over tests/relevance/ (default) or the corpus set."""
    from indexer.evaluation import load_queries

    if paired and (folds or variants):
        raise click.UsageError("--paired 不能和 --folds、--variant 一起用。")
    baselines = baselines or paired

    for text in variants:          # a bad --variant is explained before any import starts
        parse_variant(text)

    if set_name == "ours":
        if half or corpus_dir or rebuild:
            raise click.UsageError("--half、--corpus、--rebuild 只用于 --set corpus。")
        files = list(files) or sorted(OWN_SET.glob("*.yaml"))
        _run(current_app, load_queries(files), baselines, misses, as_json, note="", folds=folds,
             variants=variants, paired=paired)
        return

    folder = Path(corpus_dir or DEFAULT_CORPUS)
    if not folder.is_dir():
        raise click.ClickException(f"找不到语料文件夹 {folder}（可用 --corpus 指定）。")
    half = half or "tune"
    queries = load_queries(list(files) or query_files(half))
    if not queries:
        raise click.ClickException(f"{half} 中没有查询。")
    cache = Path(current_app.config["KB_INSTANCE_DIR"]) / "eval"
    log = (lambda message: click.echo(message, err=True))
    app = corpus_app(folder, cache, rebuild=rebuild, log=log)
    try:
        scope = f"{len(files)} 个文件" if files else half
        _run(app, queries, baselines, misses, as_json, note=f"评测集：corpus（{scope}，{len(queries)} 条查询）",
             folds=folds, variants=variants, paired=paired)
    finally:
        close(app)


def parse_variant(text: str) -> dict[tuple, object]:
    """``ranking.PROXIMITY_WEIGHT=0;query.LONG_FROM=6;ranking.MODELS['search']['title']=(2.0, 0.3)``
    → {(module, name, keys…): value}.  Only existing upper-case constants of ``indexer.query``
    and ``indexer.ranking`` (or an item inside one); keys and values are Python literals."""
    import ast
    import importlib
    import re

    out = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        target, sep, value = item.partition("=")
        m = re.fullmatch(r"\s*(\w+)\.([A-Z][A-Z0-9_]*)((?:\[[^\]]+\])*)\s*", target)
        if not sep or m is None or m.group(1) not in VARIANT_MODULES:
            raise click.BadParameter(f"{item!r}：应为 query.常量=值 或 ranking.常量[键]=值。", param_hint="--variant")
        module, name = m.group(1), m.group(2)
        mod = importlib.import_module(f"indexer.{module}")
        if not hasattr(mod, name):
            raise click.BadParameter(f"indexer.{module} 没有 {name}。", param_hint="--variant")
        try:
            keys = tuple(ast.literal_eval(k) for k in re.findall(r"\[([^\]]+)\]", m.group(3)))
            literal = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError) as exc:
            raise click.BadParameter(f"{item!r}：键或值不是 Python 字面量（{exc}）。", param_hint="--variant") from None
        try:
            _with_item(getattr(mod, name), keys, literal)      # the keys must exist
        except (KeyError, TypeError, IndexError) as exc:
            raise click.BadParameter(f"{item!r}：{module}.{name} 没有这一项（{exc!r}）。", param_hint="--variant") from None
        out[(module, name, *keys)] = literal
    return out


def _with_item(obj, keys: tuple, value):
    """``value`` when there are no keys, else a deep copy of ``obj`` with ``obj[k1]…[kn] = value``
    (an existing item only)."""
    import copy

    if not keys:
        return value
    obj = copy.deepcopy(obj)
    inner = obj
    for k in keys[:-1]:
        inner = inner[k]
    inner[keys[-1]]                                             # KeyError for a new key
    inner[keys[-1]] = value
    return obj


VARIANT_MODULES = ("query", "ranking")


def _evaluate_variant(eng, queries, audiences_for, settings):
    """Our engine with ``settings`` applied (restored afterwards), the snapshot's caches cleared
    before and after so neither run sees the other's results."""
    import importlib

    from indexer.evaluation import evaluate

    saved = {}
    try:
        for (module, name, *keys), value in settings.items():
            mod = importlib.import_module(f"indexer.{module}")
            saved.setdefault((module, name), getattr(mod, name))
            setattr(mod, name, _with_item(getattr(mod, name), tuple(keys), value))
        eng._state().clear_caches(terms=True)
        return evaluate(eng, queries, audiences_for)
    finally:
        for (module, name), value in saved.items():
            setattr(importlib.import_module(f"indexer.{module}"), name, value)
        eng._state().clear_caches(terms=True)


def _run(app, queries, baselines: bool, misses: bool, as_json: bool, note: str,
         folds: int | None = None, variants=(), paired: bool = False) -> None:
    from indexer.baselines import BASELINES
    from indexer.evaluation import (compare, evaluate, evaluate_baseline, fold_scores, fold_table,
                                    paired_json, paired_table)

    from ..articles.search import engine, published_documents
    from ..visibility import audiences_for

    settings = [(v, parse_variant(v)) for v in variants]
    tried = {}
    with app.app_context():
        ours = evaluate(engine(), queries, audiences_for)
        for text, setting in settings:
            tried[text] = _evaluate_variant(engine(), queries, audiences_for, setting)
        others = {}
        if baselines:
            docs = published_documents()
            cache_dir = Path(app.config["KB_INSTANCE_DIR"])
            for cls in BASELINES:
                started = time.perf_counter()
                baseline = cls(docs, cache_dir=cache_dir)
                built = time.perf_counter() - started
                others[cls.name] = evaluate_baseline(baseline, queries, audiences_for)
                if not as_json:
                    click.echo(f"基线 {cls.name}：{len(docs)} 篇文档，准备用时 {built:.1f} 秒", err=True)
    if folds or tried:
        runs = {"当前": ours, **{f"试验{i + 1}": ev for i, ev in enumerate(tried.values())}, **others}
        if as_json:
            body = {"folds": folds or 4,
                    "runs": {name: {"overall": ev.overall.as_dict(),
                                    "by_fold": [s.as_dict() for s in fold_scores(ev, folds or 4)],
                                    "by_kind": {k: v.as_dict() for k, v in sorted(ev.by_kind.items())}}
                             for name, ev in zip(["ours", *tried, *(cls.key for cls in BASELINES if cls.name in others)],
                                                 runs.values())}}
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
            return
        if note:
            click.echo(note)
        for i, text in enumerate(tried):
            click.echo(f"试验{i + 1}：{text}")
        click.echo(fold_table(runs, folds or 4, reference="当前"))
        return
    if as_json:
        if others:
            body = {"ours": ours.as_json(), **{cls.key: others[cls.name].as_json() for cls in BASELINES}}
            if paired:
                body["paired"] = {cls.key: paired_json(ours, others[cls.name]) for cls in BASELINES}
        else:
            body = ours.as_json()
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if note:
        click.echo(note)
    click.echo(compare(ours, others) if others else ours.table())
    click.echo("R@5 为截断召回率：前 5 条结果中相关文档数 ÷ min(5, 相关文档数)；× 为本引擎 ÷ 基线。"
               if others else "R@5 为截断召回率：前 5 条结果中相关文档数 ÷ min(5, 相关文档数)。")
    if paired:
        click.echo("")
        click.echo(paired_table(ours, others))
        click.echo("Δ 为逐条查询的倒数排名之差的均值（= 两个 MRR@10 之差）；区间为配对自助法 95% 区间"
                   "（查询有放回重抽样 10000 次）；胜/平/负为本引擎排得更好、相同、更差的查询数。")
    if misses:
        shown, hidden = shown_misses(ours.misses, set(ours.by_half))
        for q, got in shown:
            name = f"{q.id} " if q.id else ""
            click.echo(f"[{q.kind}] {name}{q.query!r} → 期望 {list(q.expected)[:3]}"
                       f"{'…' if len(q.expected) > 3 else ''}，得到 {got}")
        if hidden:
            click.echo(f"另有 {hidden} 条留出集（test、test2）查询未排第一，没有列出：留出集只用于报告，"
                       "调参时不看它们的结果；确需查看时用 --half test 或 --half test2 单独运行。")


def shown_misses(misses: list, halves: set[str]) -> tuple[list, int]:
    """(misses to list, number withheld).  ``halves``: the halves the run's queries belong to.
    When a run mixes the tuning half with held-out queries (``--half all``), only the tuning
    half's misses are listed: whoever reads misses is tuning, and a held-out query read while
    tuning is no longer held out.  A run of a held-out half alone (asked for by name) lists
    its misses."""
    if halves == {"tune"} or "tune" not in halves:
        return list(misses), 0
    shown = [(q, got) for q, got in misses if q.half in ("tune", "")]   # "": a file outside the set
    return shown, len(misses) - len(shown)
