"""Helpers for the writers' workspace tests: clients per role, articles written through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import Article, ArticleRevision
from tests.conftest import login

BODY = """本文适用于连接公司打印机时提示脱机的员工。

## 症状

打印机显示 Quuxprint 脱机。

## 原因

打印队列卡住。

## 解决步骤

1. 打开 **设置 > 蓝牙和其他设备 > 打印机和扫描仪**。
2. 取消所有打印任务后重试。

## 仍未解决？

请[提交服务请求](/requests/new)。
"""


def client_as(app, role: str, username: str | None = None):
    client = app.test_client()
    if role != "anonymous":
        login(client, app, username or f"w-{role}", role)
    return client


@pytest.fixture
def writer(synced):
    return client_as(synced, "writer", "wendy")


@pytest.fixture
def other_writer(synced):
    return client_as(synced, "writer", "walter")


@pytest.fixture
def reader(synced):
    return synced.test_client()


def article_data(**overrides) -> dict:
    data = {"title": "打印机 Quuxprint 脱机怎么办", "category": "打印与外设", "body": BODY,
            "tags": ["打印机"], "error_codes": ["0x00000709"], "slug": "printing/quuxprint-offline"}
    data.update(overrides)
    return data


def create(client, **overrides) -> dict:
    response = client.post("/api/articles", json=article_data(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def publish(client, slug: str, **body):
    return client.post(f"/api/articles/{slug}/publish", json=body)


def put(client, slug: str, base: int, **fields):
    return client.put(f"/api/articles/{slug}", json={"base_revision": base, **fields})


def row(app, slug: str) -> Article:
    with app.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.slug == slug))
        session.expunge(article)
        return article


def revision_rows(app, slug: str) -> list[ArticleRevision]:
    with app.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.slug == slug))
        rows = session.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article.id)
                               .order_by(ArticleRevision.number)).all()
        for r in rows:
            session.expunge(r)
        return rows


def search_slugs(client, q: str, path: str = "/api/search") -> list[str]:
    return [hit["slug"] for hit in client.get(path, query_string={"q": q}).get_json()["results"]]
