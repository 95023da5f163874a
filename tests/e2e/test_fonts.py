"""No tofu: the Chinese on the public pages is drawn with a real CJK font, not boxes (issue #11).

Without a CJK font, Chromium draws every Chinese character as the same "missing glyph" box.
So each page's own Chinese characters are drawn one by one on a canvas, in the font the page
uses for them: distinct characters must give distinct pictures, none of them the box that a
character no font has (a private-use code point) gives. The negative control runs the same
check in a Chromium whose fontconfig sees only DejaVu (no CJK font) and expects the boxes.
"""
from tests.e2e.browser_support import close_chromium, launch_chromium

#: Draws each character of ``chars`` at 40 px in ``family``; a fingerprint of each picture.
DRAW = r"""
([family, chars]) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  ctx.font = `40px ${family}`;
  ctx.textBaseline = "top";
  return chars.map((ch) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.fillText(ch, 2, 2);
    const data = ctx.getImageData(0, 0, 48, 48).data;
    let ink = 0, hash = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i]) { ink++; hash = (hash * 31 + i * data[i]) | 0; }
    }
    return `${ink}:${hash}`;
  });
}
"""
#: Characters that no font has: each is drawn as the missing-glyph box.
NO_GLYPH = ["\U000F0000", "\U000F0001", "\U0010FFFD"]
FONTCONFIG_WITHOUT_CJK = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def page_chinese(page, selector: str, limit: int = 12) -> tuple[str, list[str]]:
    """The font-family ``selector`` is drawn in, and up to ``limit`` distinct Chinese
    characters of its text."""
    family, text = page.eval_on_selector(
        selector, "el => [getComputedStyle(el).fontFamily, el.innerText]")
    chars = list(dict.fromkeys(ch for ch in text if "\u4e00" <= ch <= "\u9fff"))[:limit]
    return family, chars


def tofu(page, selector: str) -> dict:
    """How ``selector``'s Chinese renders: the characters, how many distinct pictures they
    make, and how many of them are the missing-glyph box."""
    family, chars = page_chinese(page, selector)
    pictures = page.evaluate(DRAW, [family, chars + NO_GLYPH])
    drawn, boxes = pictures[:len(chars)], set(pictures[len(chars):])
    return {"chars": "".join(chars), "family": family, "distinct": len(set(drawn)),
            "boxes": sum(p in boxes for p in drawn), "no_glyph_pictures": len(boxes)}


#: A page's part with plenty of Chinese, for each public page checked.
PAGES = (("/", "main"), ("/c/wanren-juan", "article.campaign"), ("/c/dongri-nuanyang/wishes", "main"))


def test_chinese_renders_with_a_real_font(phone, live_server, demo, shot):
    for path, selector in PAGES:
        phone.goto(f"{live_server}{path}")
        found = tofu(phone, selector)
        shot(phone, path.strip("/").replace("/", "-") or "home")
        assert len(found["chars"]) >= 8, (path, found)
        assert found["no_glyph_pictures"] == 1, (path, found)  # one box for all: the check is sound
        assert (found["distinct"], found["boxes"]) == (len(found["chars"]), 0), (path, found)


def test_without_a_cjk_font_the_check_sees_tofu(browser, tmp_path, shot):
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTCONFIG_WITHOUT_CJK.format(cache=tmp_path / "cache"))
    bare = launch_chromium(env={"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)})
    try:
        page = bare.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page.set_content('<main lang="zh-CN"><h1>万人捐、帮万家</h1><p>每一笔善款都记入基金会的账本。</p></main>')
        shot(page, "tofu")
        found = tofu(page, "main")
    finally:
        close_chromium(bare)
    assert len(found["chars"]) >= 8, found
    assert (found["distinct"], found["boxes"]) == (1, len(found["chars"])), found
