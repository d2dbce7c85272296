"""Accounts: login, logout, CSRF on every form, the secret key kept in the instance folder."""

from __future__ import annotations

from app import create_app
from tests.conftest import build_app, login


def test_login_and_logout(app, client):
    login(client, app, "zhang", "requester")
    assert "zhang" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 200  # a GET only asks to confirm
    assert "zhang" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "zhang" not in client.get("/").get_data(as_text=True)


def test_wrong_password_is_rejected_with_a_message(app, client):
    login(client, app, "zhang", "requester")
    client.post("/logout")
    response = client.post("/login", data={"username": "zhang", "password": "wrong"})
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_login_redirect_stays_on_this_site(app, client):
    login(client, app, "zhang", "requester")
    client.post("/logout")
    response = client.post("/login?next=https://evil.example.net/", data={"username": "zhang", "password": "pw-123456"})
    assert response.headers["Location"] == "/"


def test_forms_require_a_csrf_token(tmp_path, articles_dir, pg_available):
    app, drop = build_app(tmp_path, articles_dir, pg_available, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": "x", "password": "y"})
        assert response.status_code == 400
        assert "页面已过期" in response.get_data(as_text=True)
        assert 'name="csrf_token"' in client.get("/login").get_data(as_text=True)
    finally:
        app.extensions["kb.engine"].dispose()
        drop()


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_SECRET_KEY", raising=False)
    config = {"KB_INSTANCE_DIR": str(tmp_path / "inst")}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct((tmp_path / "inst" / "secret_key").stat().st_mode)[-3:] == "600"


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_INSTANCE_DIR", str(tmp_path / "envinst"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "idx"))
    app = create_app()
    assert app.config["KB_INSTANCE_DIR"] == str(tmp_path / "envinst")
    assert app.config["KB_INDEX_DIR"] == str(tmp_path / "idx")
    assert app.config["KB_DATABASE_URL"] == f"sqlite:///{tmp_path / 'envinst' / 'kb.sqlite3'}"
