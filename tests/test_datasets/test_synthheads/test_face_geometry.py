"""SynthHeads face geometry: the 'measured' proportions against real faces' 3D landmarks."""

import math
import os.path as osp

import numpy as np
import pytest

from headpose.datasets.synthheads.renderer import (
    _chin_y,
    _front_z,
    _jaw_axes,
    face_landmarks,
    project_points,
    render_head,
    sample_identity,
)
from headpose.testing import REPO_ROOT

DEV_SET = osp.join(REPO_ROOT, '..', 'shared', 'data', 'aflw2000_dev')
# Landmark groups: (68-point indices of AFLW2000's pt3d_68, SynthHeads' 40 indices).
GROUPS = {
    'chin': ([8], [8]),
    'jaw 4/12': ([4, 12], [4, 12]),
    'jaw 0/16': ([0, 16], [0, 16]),
    'brows': (list(range(17, 27)), list(range(17, 27))),
    'nose tip': ([30], [31]),
    'mouth corners': ([48, 54], [36, 37]),
}
EYES = ([36, 39, 42, 45], [32, 33, 34, 35])


def canonical(points, eyes):
    """Origin at the eye corners' mean, unit: its height above the chin (point 8)."""
    c = points - points[eyes].mean(0)
    return c / -c[8, 1]


def summary(shapes, which):
    """Median (|x|, y, z) of each landmark group over faces."""
    m = np.median(np.array(shapes), 0)
    return {k: np.array([np.abs(m[v[which], 0]).mean(), m[v[which], 1].mean(),
                         m[v[which], 2].mean()]) for k, v in GROUPS.items()}


def synthetic(face_geometry, n=120):
    return summary([canonical(face_landmarks(sample_identity(np.random.default_rng(k),
                                                             face_geometry)), EYES[1])
                    for k in range(n)], 1)


def real_faces():
    """The development set's pt3d_68 turned back to frontal by the labelled rotation."""
    import scipy.io as sio
    from mmengine.registry import init_default_scope

    from headpose.registry import DATASETS
    init_default_scope('headpose')
    ds = DATASETS.build(dict(type='AFLW2000Dataset', data_root=DEV_SET, bbox_scale=1.0,
                             filter_abs_angle=99, pipeline=[], cache=False))
    shapes = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        pt = sio.loadmat(info['img_path'][:-4] + '.mat')['pt3d_68'].T.astype(float)
        cam = np.stack([pt[:, 0], -pt[:, 1], pt[:, 2]], 1)  # x right, y up, z to the viewer
        cam -= cam.mean(0)
        shapes.append(canonical(cam @ np.asarray(info['gt_rotations'][0]), EYES[0]))
    # The labels and landmarks agree: the turned-back shapes are nearly identical.
    assert np.array(shapes).std(0).mean() < 0.05
    return summary(shapes, 0)


@pytest.mark.skipif(not osp.isdir(DEV_SET), reason=f'the development set is absent ({DEV_SET})')
def test_measured_geometry_has_the_proportions_of_real_faces():
    real, measured, classic = real_faces(), synthetic('measured'), synthetic('classic')
    for name in GROUPS:
        np.testing.assert_allclose(measured[name], real[name], atol=0.1, err_msg=name)
    # The classic ball face does not: its chin sits far behind the eyes, its nose is short.
    assert classic['chin'][2] < real['chin'][2] - 0.3
    assert classic['nose tip'][2] < real['nose tip'][2] - 0.12
    # and the classic contour (kept, so the classic crops stay as they were) runs round
    # the front of the face, where the real one starts by the ears.
    assert classic['jaw 0/16'][2] > real['jaw 0/16'][2] + 0.2


def test_tilted_jaw_front_is_on_the_ellipsoid_and_in_front():
    ident = sample_identity(np.random.default_rng(4), 'measured')
    c, r, axes = ident['jaw_center'], ident['jaw_radii'], np.array(_jaw_axes(ident))
    assert ident['jaw_tilt'] > 20
    for x, y in ((0.0, -0.6), (0.3, -0.4), (0.1, -0.9)):
        z = _front_z(c, _jaw_axes(ident), r, x, y)
        local = axes @ (np.array([x, y, z]) - c) / r
        assert abs(np.linalg.norm(local) - 1) < 1e-9  # on the surface
        ahead = axes @ (np.array([x, y, z + 1e-3]) - c) / r
        assert np.linalg.norm(ahead) > 1  # nothing of the jaw in front of it
    assert _front_z(c, _jaw_axes(ident), r, 2.0, 0.0) == -math.inf


def test_chin_landmark_is_the_front_bottom_of_the_jaw():
    classic = sample_identity(np.random.default_rng(2))
    jc, jr = classic['jaw_center'], classic['jaw_radii']
    assert _chin_y(classic) == pytest.approx(jc[1] - 0.97 * jr[1])  # a level jaw: its bottom
    ident = sample_identity(np.random.default_rng(2), 'measured')
    pts = face_landmarks(ident)
    eyes_z = pts[32:36, 2].mean()
    assert abs(pts[8, 2] - eyes_z) < 0.12  # as far forward as the eyes
    # Drawn where the renderer draws the face: the frontal chin point is on the head,
    # a few pixels above the bottom of the head's box (the jaw's underside).
    size, rot = 128, np.eye(3)
    clean = dict(background=(0.0, 0.0, 0.0), light=(0.0, 0.0, 1.0), ambient=1.0, jitter=0.0,
                 blur_prob=0.0, noise_prob=0.0, tint=0.0)
    ident['neck'] = False
    img, head = render_head(ident, rot, size, rng=0, **clean)
    x, y = project_points(pts, rot, size, 0.6)[8]
    assert img[int(y), int(x)].max() > 0
    assert 0 < head[3] - y < 0.08 * (head[3] - head[1])


def test_geometry_choice_is_checked():
    with pytest.raises(ValueError, match="face_geometry must be 'classic' or 'measured'"):
        sample_identity(np.random.default_rng(0), 'round')
