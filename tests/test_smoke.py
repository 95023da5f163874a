"""The first thing a newcomer runs: the home page, the login page and the stylesheet answer."""


def test_home_page_is_chinese_by_default(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert 'lang="zh-CN"' in resp.get_data(as_text=True)


def test_login_page_and_assets_answer(client):
    assert client.get("/login").status_code == 200
    css = client.get("/static/css/site.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    js = client.get("/static/js/csrf.js")
    assert js.status_code == 200 and js.mimetype == "text/javascript"


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no-such-page?lang=en")
    assert resp.status_code == 404
    assert "Page not found" in resp.get_data(as_text=True)
