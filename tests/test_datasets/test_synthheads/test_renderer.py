"""SynthHeads renderer: determinism, geometry, the pose convention and appearance."""

import numpy as np
import pytest

from headpose.datasets.synthheads.renderer import (
    mask_to_bbox,
    random_background,
    render_head,
    render_head_layer,
    sample_identity,
)

SIZE = 128
BLACK = (0.0, 0.0, 0.0)
# Clean renders: no augmentation, flat (unshaded) colours on black.
CLEAN = dict(background=BLACK, light=(0.0, 0.0, 1.0), ambient=1.0, jitter=0.0, blur_prob=0.0,
             noise_prob=0.0, tint=0.0)


def rot(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """R = Rx'(pitch) @ Ry'(yaw) @ Rz'(roll), angles in degrees (the toolbox convention)."""
    p, y, r = np.deg2rad([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rx @ ry @ rz


def test_rot_helper_matches_the_convention():
    # Yaw > 0 turns the face (R[:, 2]) to the image left, pitch > 0 turns it up.
    assert rot(yaw=30)[0, 2] < -0.4
    assert rot(pitch=30)[1, 2] > 0.4
    r = rot(20, -35, 50)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)


@pytest.fixture(scope='module')
def identity():
    ident = sample_identity(np.random.default_rng(7))
    ident['neck'] = False
    return ident


@pytest.fixture(scope='module')
def marked(identity):
    """An identity whose nose is pure green and nothing else is green."""
    ident = dict(identity)
    grey = (0.6, 0.6, 0.6)
    for key in ('skin_color', 'ear_color', 'neck_color', 'lip_color'):
        ident[key] = grey
    ident.update(nose_color=(0.0, 1.0, 0.0), hair_color=(0.5, 0.2, 0.2),
                 brow_color=(0.2, 0.2, 0.2), iris_color=(0.3, 0.3, 0.3), beard=False)
    return ident


def nose_centroid(ident, rotation):
    img, _ = render_head(ident, rotation, SIZE, rng=0, **CLEAN)
    b, g, r = (img[..., i].astype(int) for i in range(3))
    rows, cols = np.nonzero((g > 80) & (b < 30) & (r < 30))
    assert len(rows) > 15, 'the nose must be visible'
    return cols.mean(), rows.mean()


def test_shape_dtype_and_determinism(identity):
    r = rot(25, -10, 5)
    img, bbox = render_head(identity, r, SIZE, rng=np.random.default_rng(3))
    assert img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8
    assert bbox.shape == (4, ) and bbox.dtype == np.float32
    img2, bbox2 = render_head(identity, r, SIZE, rng=np.random.default_rng(3))
    assert np.array_equal(img, img2) and np.array_equal(bbox, bbox2)
    img3, _ = render_head(identity, r, SIZE, rng=np.random.default_rng(4))
    assert not np.array_equal(img, img3)  # background, light... vary with the rng
    small, _ = render_head(identity, r, 64, rng=1)
    assert small.shape == (64, 64, 3)
    # Identities are a pure function of the generator state.
    assert sample_identity(np.random.default_rng(11)) == sample_identity(np.random.default_rng(11))


@pytest.mark.parametrize('angles', [(0, 0, 0), (70, 20, -15), (180, 0, 0), (-120, -40, 30)])
def test_bbox_is_tight_around_the_head(identity, angles):
    img, bbox = render_head(identity, rot(*angles), SIZE, rng=0, **CLEAN)
    x1, y1, x2, y2 = bbox
    assert 0 <= x1 < x2 <= SIZE and 0 <= y1 < y2 <= SIZE
    # Without the neck, every non-background pixel is the head and lies in the box...
    fg = img.max(2) > 0
    inside = np.zeros_like(fg)
    inside[int(y1):int(y2), int(x1):int(x2)] = True
    assert fg.sum() > 0.15 * SIZE * SIZE
    assert not (fg & ~inside).any()
    # ...and the box is tight: the head touches its four sides.
    np.testing.assert_array_equal(mask_to_bbox(fg), bbox)
    # The head fills about scale = 60 % of the crop.
    assert 0.45 * SIZE < y2 - y1 < 0.75 * SIZE


def test_bbox_excludes_the_neck(identity):
    ident = dict(identity, neck=True)
    img, bbox = render_head(ident, rot(), SIZE, rng=0, **CLEAN)
    fg = img.max(2) > 0
    assert fg[int(bbox[3]):].any()  # the neck is drawn below the head box
    layer = render_head_layer(ident, rot(), SIZE, (0, 0, 1), ambient=1.0)
    assert (layer.alpha > 0).sum() > layer.head_mask.sum()
    np.testing.assert_array_equal(mask_to_bbox(layer.head_mask), bbox)


@pytest.mark.parametrize('yaw', [30, 60, 90])
def test_positive_yaw_moves_the_nose_to_the_image_left(marked, yaw):
    cx0, cy0 = nose_centroid(marked, rot())
    assert abs(cx0 - SIZE / 2) < 1.5  # frontal: the nose is on the vertical midline
    cx, cy = nose_centroid(marked, rot(yaw=yaw))
    assert cx < cx0 - 4 * np.sin(np.deg2rad(yaw))
    cxm, _ = nose_centroid(marked, rot(yaw=-yaw))
    assert cxm > cx0 + 4 * np.sin(np.deg2rad(yaw))
    assert abs((cx - cx0) + (cxm - cx0)) < 1.5  # mirror symmetric


@pytest.mark.parametrize('pitch', [25, 50])
def test_positive_pitch_moves_the_nose_up(marked, pitch):
    cx0, cy0 = nose_centroid(marked, rot())
    cx, cy = nose_centroid(marked, rot(pitch=pitch))
    assert cy < cy0 - 4  # image rows go down: up is a smaller row
    _, cyd = nose_centroid(marked, rot(pitch=-pitch))
    assert cyd > cy0 + 2
    assert abs(cx - cx0) < 1.0


def test_positive_roll_tilts_the_top_of_the_head_to_the_image_right(marked):
    # The nose is below the head centre, so it swings left when the top goes right.
    cx0, _ = nose_centroid(marked, rot())
    cx, _ = nose_centroid(marked, rot(roll=30))
    assert cx < cx0 - 2
    layer = render_head_layer(marked, rot(roll=30), SIZE, (0, 0, 1), ambient=1.0)
    rows, cols = np.nonzero(layer.head_mask)
    top = rows < np.percentile(rows, 10)
    assert cols[top].mean() > SIZE / 2 + 4


@pytest.mark.parametrize('seed', [0, 1])
def test_nose_follows_the_projected_face_direction(marked, seed):
    """For any rotation, the nose moves along (R[0, 2], -R[1, 2]) as the face turns."""
    rng = np.random.default_rng(seed)
    cx0, cy0 = nose_centroid(marked, rot())
    for _ in range(4):
        yaw, pitch, roll = rng.uniform(-50, 50), rng.uniform(-40, 40), rng.uniform(-20, 20)
        r = rot(yaw, pitch, roll)
        r0 = rot(roll=roll)  # same roll, face to the camera
        cx, cy = nose_centroid(marked, r)
        cxr, cyr = nose_centroid(marked, r0)
        move = np.array([cx - cxr, cy - cyr])
        pred = np.array([r[0, 2] - r0[0, 2], -(r[1, 2] - r0[1, 2])])
        if np.linalg.norm(pred) < 0.3:
            continue
        cos = move @ pred / (np.linalg.norm(move) * np.linalg.norm(pred) + 1e-9)
        assert cos > 0.8, (yaw, pitch, roll, move, pred)


def test_nose_is_the_closest_point_of_a_frontal_face(marked):
    layer = render_head_layer(marked, rot(), SIZE, (0, 0, 1), ambient=1.0)
    r, c = np.unravel_index(np.argmax(layer.depth), layer.depth.shape)
    b, g, rr = layer.bgr[r, c]
    assert g > 0.3 and b < 0.1 and rr < 0.1
    assert np.isneginf(layer.depth[layer.alpha == 0]).all()
    assert np.isfinite(layer.depth[layer.alpha > 0]).all()
    assert set(np.unique(layer.alpha)) <= {0.0, 1.0}
    assert layer.bgr.dtype == np.float32 and layer.bgr.shape == (SIZE, SIZE, 3)
    # Seen from behind, the nearest point is not the nose.
    back = render_head_layer(marked, rot(yaw=180), SIZE, (0, 0, 1), ambient=1.0)
    r, c = np.unravel_index(np.argmax(back.depth), back.depth.shape)
    assert not (back.bgr[r, c, 1] > 0.3 and back.bgr[r, c, 0] < 0.1)


def skin_fraction(ident, rotation):
    img, _ = render_head(ident, rotation, SIZE, rng=0, **CLEAN)
    head = img.max(2) > 0
    skin = np.round(np.asarray(ident['skin_color']) * 255)
    close = (np.abs(img.astype(float) - skin) <= 10).all(2)
    return (close & head).sum() / head.sum(), img


@pytest.mark.parametrize('seed', range(6))
def test_front_and_back_views_differ(seed):
    ident = sample_identity(np.random.default_rng(100 + seed))
    ident['neck'] = False
    front, img_f = skin_fraction(ident, rot())
    back, img_b = skin_fraction(ident, rot(yaw=180))
    # Seen from behind: hair, ears and the nape only.
    assert front > 2 * back and front - back > 0.15, (ident['hair_style'], front, back)
    union = (img_f.max(2) > 0) | (img_b.max(2) > 0)
    assert np.abs(img_f.astype(float) - img_b)[union].mean() > 20


def test_identities_differ():
    rng = np.random.default_rng(5)
    ids = [sample_identity(rng) for _ in range(4)]
    imgs = [render_head(i, rot(20, 10, 0), SIZE, rng=0, **CLEAN)[0].astype(float) for i in ids]
    for a in range(4):
        for b in range(a + 1, 4):
            assert np.abs(imgs[a] - imgs[b]).mean() > 5
    styles = {sample_identity(np.random.default_rng(s))['hair_style'] for s in range(40)}
    assert len(styles) >= 4


def test_random_background():
    bg = random_background(np.random.default_rng(0), 40, 60)
    assert bg.shape == (40, 60, 3) and bg.dtype == np.float32
    assert bg.min() >= 0 and bg.max() <= 1
    assert np.array_equal(bg, random_background(np.random.default_rng(0), 40, 60))
    many = [random_background(np.random.default_rng(s), 32, 32) for s in range(8)]
    assert np.std([m.mean() for m in many]) > 0.02


def test_render_head_layer_offset_and_rectangular_size(identity):
    a = render_head_layer(identity, rot(), (80, 120), (0, 0, 1), scale=0.5)
    b = render_head_layer(identity, rot(), (80, 120), (0, 0, 1), scale=0.5, offset=(10.0, -6.0))
    assert a.bgr.shape == (80, 120, 3) and a.alpha.shape == (80, 120)
    np.testing.assert_allclose(mask_to_bbox(b.head_mask),
                               mask_to_bbox(a.head_mask) + np.float32([10, -6, 10, -6]), atol=1)


def test_face_landmarks_lie_on_the_face_and_follow_the_rotation(identity):
    from headpose.datasets.synthheads.renderer import face_landmarks, project_points
    pts = face_landmarks(identity)
    assert pts.shape == (40, 3)
    contour, brows = pts[:17], pts[17:27]
    # Brows above the eyes above the chin; the nose tip is the most forward point.
    assert brows[:, 1].min() > identity['eye_y'] > contour[:, 1].min()
    assert np.argmax(pts[:, 2]) == 31
    np.testing.assert_allclose(contour[8, 0], 0.0, atol=1e-9)  # the chin on the midline
    np.testing.assert_allclose(pts[:17, 0], -pts[16::-1, 0], atol=1e-9)  # symmetric
    # Projection: the frontal nose tip lands in the middle column, below the centre,
    # and moves as the toolbox convention says (yaw > 0: image left; pitch > 0: up).
    xy0 = project_points(pts, rot(), SIZE, 0.6)
    assert abs(xy0[31, 0] - SIZE / 2) < 1e-6 and xy0[31, 1] > SIZE / 2
    assert project_points(pts, rot(yaw=30), SIZE, 0.6)[31, 0] < xy0[31, 0] - 5
    assert project_points(pts, rot(pitch=25), SIZE, 0.6)[31, 1] < xy0[31, 1] - 3
    # The projected nose tip is where the renderer draws the nose (a green blob).
    marked = dict(identity, nose_color=(0.0, 1.0, 0.0), skin_color=(0.6, 0.6, 0.6),
                  ear_color=(0.6, 0.6, 0.6), lip_color=(0.6, 0.6, 0.6), beard=False)
    for r in (rot(), rot(yaw=40, pitch=-15, roll=10)):
        img, _ = render_head(marked, r, SIZE, rng=0, **CLEAN)
        x, y = project_points(face_landmarks(marked), r, SIZE, 0.6)[31]
        b, g, rr = (int(v) for v in img[int(y), int(x)])
        assert g > 80 and b < 30 and rr < 30, (x, y, img[int(y), int(x)])


def test_landmark_box_spans_brows_to_chin(identity):
    from headpose.datasets.synthheads.renderer import face_landmarks, project_points
    _, head = render_head(identity, rot(), SIZE, rng=0, **CLEAN)
    _, box = render_head(identity, rot(), SIZE, rng=0, bbox_source='landmarks', **CLEAN)
    xy = project_points(face_landmarks(identity), rot(), SIZE, 0.6)
    np.testing.assert_allclose(box, np.concatenate([xy.min(0), xy.max(0)]), atol=1e-4)
    # Inside the head box, which also holds the skull above the brows (and the ears).
    assert head[0] <= box[0] and box[2] <= head[2] and box[3] <= head[3] + 1
    assert box[1] - head[1] > 0.25 * (head[3] - head[1])
    # The jitter moves the image and the box together.
    img_j, box_j = render_head(identity, rot(), SIZE, rng=5, bbox_source='landmarks',
                               jitter=0.1, background=BLACK)
    assert not np.allclose(box_j, box)
    with pytest.raises(ValueError, match='bbox_source'):
        render_head(identity, rot(), SIZE, rng=0, bbox_source='face')


def test_natural_background_and_face_detail(identity):
    from headpose.datasets.synthheads.renderer import natural_background
    bg = natural_background(np.random.default_rng(0), 48, 64)
    assert bg.shape == (48, 64, 3) and bg.dtype == np.float32
    assert 0.0 <= bg.min() and bg.max() <= 1.0
    np.testing.assert_array_equal(bg, natural_background(np.random.default_rng(0), 48, 64))
    # Muted: the mean saturation (max - min channel) is well below random_background's.
    sat = [np.mean([np.ptp(f(np.random.default_rng(s), 32, 32), axis=2).mean()
                    for s in range(20)]) for f in (natural_background, random_background)]
    assert sat[0] < 0.6 * sat[1], sat
    img, _ = render_head(identity, rot(), SIZE, rng=1, background_style='natural')
    np.testing.assert_array_equal(
        img, render_head(identity, rot(), SIZE, rng=1, background_style='natural')[0])
    with pytest.raises(ValueError, match='background_style'):
        render_head(identity, rot(), SIZE, rng=0, background_style='photo')
    # Face detail darkens the eye sockets: the region around the eyes gets darker.
    lit = dict(CLEAN, light=(0.3, 0.4, 1.0), ambient=0.4)
    flat = render_head_layer(identity, rot(), SIZE, (0.3, 0.4, 1.0), ambient=0.4)
    deep = render_head_layer(identity, rot(), SIZE, (0.3, 0.4, 1.0), ambient=0.4, detail=True)
    assert flat.alpha.sum() == deep.alpha.sum()  # same geometry
    ppu = 0.6 * SIZE / 2.2
    ey = int(SIZE / 2 - identity['eye_y'] * ppu)
    ex = int(SIZE / 2 + identity['eye_x'] * ppu)
    band = (slice(ey - 4, ey + 4), slice(ex - 6, ex + 7))
    assert deep.bgr[band].mean() < 0.9 * flat.bgr[band].mean()
    assert render_head(identity, rot(), SIZE, rng=0, face_detail=True, **lit)[0].shape == (
        SIZE, SIZE, 3)
