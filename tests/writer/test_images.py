"""Editor images: sniffed from content, size-limited, never SVG, served safely to who may read them."""

from __future__ import annotations

import io

from tests.writer.conftest import BODY, client_as, create, publish

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SLUG = "printing/quuxprint-offline"


def upload(client, data: bytes, name: str, **form):
    return client.post("/writer/images", data={"image": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def test_a_pasted_png_is_stored_and_served_with_its_sniffed_type(writer):
    response = upload(writer, PNG, "image.png")
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"].startswith("/media/") and body["url"].endswith(".png")
    assert body["markdown"] == f"![image]({body['url']})"
    served = writer.get(body["url"])
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_the_type_comes_from_the_content_not_the_name(writer):
    response = upload(writer, PNG, "screenshot.jpg")
    assert response.status_code == 201 and response.get_json()["url"].endswith(".png")
    refused = upload(writer, b"MZ\x90\x00 this is a program", "photo.png")
    assert refused.status_code == 400 and "不是可识别的图片" in refused.get_json()["message"]


def test_svg_is_refused(writer):
    for name in ("logo.svg", "logo.png"):
        response = upload(writer, SVG, name)
        assert response.status_code == 400 and "SVG" in response.get_json()["message"]


def test_images_are_size_limited(writer):
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    response = upload(writer, big, "big.png")
    assert response.status_code == 400 and "5 MB" in response.get_json()["message"]


def test_readers_see_an_image_once_its_article_is_published(writer, reader, synced):
    url = upload(writer, PNG, "step.png").get_json()["url"]
    assert reader.get(url).status_code == 404  # belongs to no saved article yet
    create(writer, body=BODY + f"\n![第一步]({url})\n")
    assert reader.get(url).status_code == 404  # a draft's image
    publish(writer, SLUG)
    served = reader.get(url)
    assert served.status_code == 200 and "public" in served.headers["Cache-Control"]
    assert f'src="{url}"' in reader.get(f"/articles/{SLUG}").get_data(as_text=True)


def test_an_internal_articles_images_stay_with_the_service_desk(writer, synced):
    url = upload(writer, PNG, "internal.png").get_json()["url"]
    create(writer, audience="internal", body=f"内部步骤\n\n![图]({url})\n")
    publish(writer, SLUG)
    assert synced.test_client().get(url).status_code == 404
    assert client_as(synced, "requester").get(url).status_code == 404
    assert client_as(synced, "agent").get(url).status_code == 200


def test_only_the_editor_may_upload(synced):
    for role, status in (("requester", 403), ("agent", 201)):
        assert upload(client_as(synced, role), PNG, "a.png").status_code == status
    assert upload(synced.test_client(), PNG, "a.png").status_code == 302
    assert synced.test_client().get("/media/../../etc/passwd").status_code == 404
    assert synced.test_client().get("/media/" + "0" * 32 + ".png").status_code == 404


def test_an_agents_image_is_theirs_until_their_draft_is_saved(synced):
    agent = client_as(synced, "agent", "amy")
    url = upload(agent, PNG, "a.png").get_json()["url"]
    assert agent.get(url).status_code == 200
    assert client_as(synced, "agent", "bob").get(url).status_code == 404


def test_an_image_readers_do_not_see_in_the_published_text_stays_private(writer, reader, synced):
    """Found by a probe: an image added in a new draft of a published article, uploaded for it,
    or removed from it was served to anyone (and publicly cached) — the article was published."""
    create(writer)
    publish(writer, SLUG)
    for_it = upload(writer, PNG, "for-it.png", article=SLUG).get_json()["url"]
    assert reader.get(for_it).status_code == 404             # uploaded for the article, in no text yet
    in_draft = upload(writer, PNG, "draft.png").get_json()["url"]
    draft = writer.put(f"/api/articles/{SLUG}", json={"base_revision": 1, "body": BODY + f"\n![新]({in_draft})\n"})
    assert draft.status_code == 200
    assert reader.get(in_draft).status_code == 404            # only in an unpublished revision
    assert writer.get(in_draft).status_code == 200            # the writer sees their draft's image
    publish(writer, SLUG)
    served = reader.get(in_draft)
    assert served.status_code == 200 and "public" in served.headers["Cache-Control"]
    assert writer.put(f"/api/articles/{SLUG}", json={"base_revision": 2, "body": BODY}).status_code == 200
    publish(writer, SLUG)
    assert reader.get(in_draft).status_code == 404            # removed from what readers see
