"""The web app's manifest: every icon it names exists at its declared size and is cached for offline use."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

WEB = Path(__file__).resolve().parents[2] / 'web'


def _manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((WEB / 'manifest.webmanifest').read_text(encoding='utf-8'))
    return data


def test_png_icons_exist_at_their_declared_sizes_with_a_maskable_one() -> None:
    # Chrome offers installation only with a 192 px and a 512 px PNG icon
    icons = [i for i in _manifest()['icons'] if i['type'] == 'image/png']  # type: ignore[attr-defined]
    sizes = set()
    for icon in icons:
        with Image.open(WEB / icon['src']) as image:
            assert f'{image.width}x{image.height}' == icon['sizes'], icon['src']
            assert image.format == 'PNG'
        sizes.add(icon['sizes'])
    assert {'192x192', '512x512'} <= sizes
    assert any(i['purpose'] == 'maskable' for i in icons)


def test_every_icon_is_in_the_offline_shell() -> None:
    shell_list = (WEB / 'sw.js').read_text(encoding='utf-8').split('const SHELL')[1].split(']')[0]
    shell = set(re.findall(r"'([^']+)'", shell_list))
    assert {i['src'] for i in _manifest()['icons']} <= shell  # type: ignore[attr-defined]
