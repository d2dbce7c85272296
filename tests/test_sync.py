"""`kb sync` / `kb init`: import the Markdown library, skip unchanged files, archive removed ones."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.db import session_scope
from app.models import Article, User


def sync_json(runner, *folders):
    result = runner.invoke(args=["kb", "sync", *map(str, folders), "--json"])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def articles(app) -> dict[str, Article]:
    with app.app_context(), session_scope() as session:
        return {a.slug: a for a in session.scalars(select(Article))}


def test_first_sync_imports_everything_then_nothing_changes(app, runner):
    code, summary = sync_json(runner)
    assert code == 0
    assert summary == {"created": 4, "updated": 0, "unchanged": 0, "archived": 0, "errors": [], "warnings": [],
                       "conflicts": []}

    code, summary = sync_json(runner)
    assert (code, summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 0, 4)


def test_file_without_front_matter_gets_defaults_from_its_path(app, runner):
    sync_json(runner)
    article = articles(app)["no-front-matter"]
    assert article.title == "打印机脱机怎么办"
    assert (article.audience, article.status) == ("public", "published")


def test_changed_file_is_updated_and_its_version_bumped(app, runner, articles_dir):
    sync_json(runner)
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n3. 重启电脑。\n", encoding="utf-8")
    code, summary = sync_json(runner)
    assert (summary["updated"], summary["unchanged"]) == (1, 3)
    assert articles(app)["vpn/error-809"].version == 2


def test_removed_file_archives_its_article_and_restoring_it_publishes_again(app, runner, articles_dir):
    sync_json(runner)
    path = articles_dir / "vpn" / "error-809.md"
    saved = path.read_bytes()
    path.unlink()
    code, summary = sync_json(runner)
    assert summary["archived"] == 1
    assert articles(app)["vpn/error-809"].status == "archived"  # never deleted

    path.write_bytes(saved)
    sync_json(runner)
    article = articles(app)["vpn/error-809"]
    assert article.status == "published" and article.version == 1


def test_broken_files_are_reported_and_the_rest_imported(app, runner, articles_dir):
    (articles_dir / "bad-yaml.md").write_text("---\ntitle: [oops\n---\n正文", encoding="utf-8")
    (articles_dir / "gbk.md").write_bytes("# 标题\n正文".encode("gbk"))
    (articles_dir / "empty.md").write_bytes(b"")
    (articles_dir / "dup.md").write_text("---\nslug: vpn/error-809\n---\n# 重复", encoding="utf-8")

    code, summary = sync_json(runner)

    assert code == 1
    assert summary["created"] == 4
    failed = {e["path"].rsplit("/", 1)[-1] for e in summary["errors"]}
    assert {"bad-yaml.md", "gbk.md", "empty.md"} <= failed
    assert len(summary["errors"]) == 4
    assert all(e["error"] for e in summary["errors"])


def test_a_broken_edit_keeps_the_last_good_version(app, runner, articles_dir):
    sync_json(runner)
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text("---\ntitle: [坏了\n---\n# 坏了", encoding="utf-8")
    code, summary = sync_json(runner)
    assert code == 1
    article = articles(app)["vpn/error-809"]
    assert article.status == "published" and "809" in article.title


def test_sync_of_another_folder_does_not_archive_the_library(app, runner, tmp_path):
    sync_json(runner)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "one.md").write_text("# 另一篇\n内容", encoding="utf-8")
    code, summary = sync_json(runner, extra)
    assert (summary["created"], summary["archived"]) == (1, 0)
    assert articles(app)["vpn/error-809"].status == "published"


def test_human_summary_names_each_broken_file(app, runner, articles_dir):
    (articles_dir / "bad.md").write_text("---\nstatus: [live\n---\n# x", encoding="utf-8")
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 1
    assert "错误" in result.output and "bad.md" in result.output and "YAML" in result.output
    assert "新增 4" in result.output


# --- Foreign front matter ---------------------------------------------------------------------


def _foreign_folder(tmp_path):
    folder = tmp_path / "docs"
    (folder / "admin").mkdir(parents=True)
    (folder / "admin" / "dns.md").write_text(
        "---\ntitle: DNS 管理\naudience: Admin\nms.author: someone\nms.topic: article\n---\n正文", encoding="utf-8")
    (folder / "admin" / "dhcp.md").write_text(
        "---\ntitle: DHCP 管理\naudience: ITPro\nms.author: other\n---\n正文", encoding="utf-8")
    (folder / "user.md").write_text("---\ntitle: 用户指南\naudience: Everyone\n---\n正文", encoding="utf-8")
    (folder / "broken.md").write_text("---\ntitle: [oops\n---\n正文", encoding="utf-8")
    return folder


def test_foreign_audiences_import_as_internal_with_warnings_apart_from_errors(app, runner, tmp_path):
    code, summary = sync_json(runner, _foreign_folder(tmp_path))
    assert code == 1  # broken.md: a real error still fails the run
    assert summary["created"] == 3
    assert [e["path"].rsplit("/", 1)[-1] for e in summary["errors"]] == ["broken.md"]
    warned = {(w["path"].rsplit("/", 1)[-1], w["warning"].split("，")[0]) for w in summary["warnings"]}
    assert warned == {
        ("dhcp.md", "未知的 audience：“ITPro”"),
        ("dhcp.md", "front matter 中的键 “ms.author” 不是本系统定义的"),  # once per key: where first seen
        ("dns.md", "front matter 中的键 “ms.topic” 不是本系统定义的"),
        ("dns.md", "未知的 audience：“Admin”"),
        ("user.md", "未知的 audience：“Everyone”"),
    }
    audiences = {slug: a.audience for slug, a in articles(app).items() if slug.startswith(("admin/", "user"))}
    assert audiences == {"admin/dns": "internal", "admin/dhcp": "internal", "user": "internal"}


def test_only_warnings_still_exit_zero(app, runner, tmp_path):
    folder = _foreign_folder(tmp_path)
    (folder / "broken.md").unlink()
    code, summary = sync_json(runner, folder)
    assert code == 0 and summary["errors"] == [] and len(summary["warnings"]) == 5
    human = runner.invoke(args=["kb", "sync", str(folder)])  # nothing changed: the warnings again
    assert human.exit_code == 0
    assert "警告" in human.output and "dns.md" in human.output and "警告 5" in human.output


def test_the_audience_map_decides_and_silences_the_mapped_values(app, runner, tmp_path):
    folder = _foreign_folder(tmp_path)
    result = runner.invoke(args=["kb", "sync", str(folder), "--json",
                                 "--audience-map", "admin=internal,ITPro=internal,Everyone=public"])
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert not [w for w in summary["warnings"] if "audience" in w["warning"]]
    audiences = {slug: a.audience for slug, a in articles(app).items() if slug.startswith(("admin/", "user"))}
    assert audiences == {"admin/dns": "internal", "admin/dhcp": "internal", "user": "public"}


def test_a_malformed_audience_map_is_refused_before_anything_is_imported(app, runner, tmp_path):
    result = runner.invoke(args=["kb", "sync", str(_foreign_folder(tmp_path)), "--audience-map", "Admin=secret"])
    assert result.exit_code == 2 and "--audience-map" in result.output and "public 或 internal" in result.output
    assert not articles(app)


def test_init_is_idempotent_and_prints_the_admin_password_once(app, runner):
    first = runner.invoke(args=["kb", "init"])
    assert first.exit_code == 0, first.output
    assert "初始密码" in first.output
    password = first.output.split("初始密码")[1].splitlines()[1].strip()

    second = runner.invoke(args=["kb", "init"])
    assert second.exit_code == 0, second.output
    assert "初始密码" not in second.output
    assert "新增 0" in second.output

    with app.app_context(), session_scope() as session:
        admins = session.scalars(select(User).where(User.role == "admin")).all()
        assert len(admins) == 1 and admins[0].check_password(password)
    assert len(articles(app)) == 4


def test_user_create(app, runner):
    result = runner.invoke(args=["kb", "user", "create", "li", "--role", "agent", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["kb", "user", "create", "li", "--role", "agent"])
    assert again.exit_code != 0 and "已存在" in again.output
    with app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.username == "li"))
        assert user.role == "agent" and user.check_password("s3cret-pass")
        assert user.password_hash != "s3cret-pass"
