def test_home_page_is_chinese_by_default(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert 'lang="zh-CN"' in resp.get_data(as_text=True)
