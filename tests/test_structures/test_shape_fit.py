"""fit_similarity against scipy's Kabsch solution and hand-made transforms."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from headpose.models.utils.canonical_face import CANONICAL_FACE
from headpose.structures import fit_similarity


def test_recovers_a_known_similarity_exactly():
    rot = Rotation.from_euler('zyx', [30, -50, 10], degrees=True).as_matrix()
    dst = 2.5 * CANONICAL_FACE @ rot.T + np.array([10.0, -4.0, 7.0])
    fit = fit_similarity(CANONICAL_FACE, dst)
    np.testing.assert_allclose(fit.rotation, rot, atol=1e-10)
    assert fit.scale == pytest.approx(2.5)
    np.testing.assert_allclose(fit.translation, [10.0, -4.0, 7.0], atol=1e-9)
    assert fit.rms == pytest.approx(0.0, abs=1e-9)


def test_rotation_agrees_with_scipy_on_noisy_points():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(50, 3))
    rot = Rotation.random(random_state=1).as_matrix()
    dst = 3.0 * src @ rot.T + rng.normal(scale=0.2, size=src.shape)
    fit = fit_similarity(src, dst)
    # scipy's Kabsch solution: the rotation that best maps the centred src onto dst
    ref, _ = Rotation.align_vectors(dst - dst.mean(0), src - src.mean(0))
    np.testing.assert_allclose(fit.rotation, ref.as_matrix(), atol=1e-9)
    # the least-squares scale of the rotated, centred points
    a = (src - src.mean(0)) @ fit.rotation.T
    b = dst - dst.mean(0)
    assert fit.scale == pytest.approx((a * b).sum() / (a * a).sum())
    resid = dst - (fit.scale * src @ fit.rotation.T + fit.translation)
    assert fit.rms == pytest.approx(np.sqrt((resid ** 2).sum(1).mean()) / fit.scale)
    assert fit.rms == pytest.approx(0.2 * np.sqrt(3) / 3, rel=0.15)  # the noise, in src units


def test_a_mirrored_shape_gives_a_rotation_not_a_reflection():
    dst = CANONICAL_FACE * np.array([-1.0, 1.0, 1.0])
    fit = fit_similarity(CANONICAL_FACE, dst)
    assert np.linalg.det(fit.rotation) == pytest.approx(1.0)
    assert fit.rms > 1.0  # a face and its mirror image do not fit (cm)


def test_weights_select_the_points_that_count():
    rng = np.random.default_rng(2)
    src = rng.normal(size=(20, 3))
    rot = Rotation.random(random_state=3).as_matrix()
    dst = src @ rot.T
    dst[10:] += rng.normal(scale=5.0, size=(10, 3))  # outliers with weight 0
    weights = np.r_[np.ones(10), np.zeros(10)]
    fit = fit_similarity(src, dst, weights)
    np.testing.assert_allclose(fit.rotation, rot, atol=1e-9)
    assert fit.rms == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize('src, dst, weights, match', [
    (np.zeros((5, 3)), np.ones((4, 3)), None, 'point sets'),
    (np.zeros((2, 3)), np.zeros((2, 3)), None, 'N >= 3'),
    (np.ones((5, 3)), np.zeros((5, 3)), None, 'all equal'),
    (np.eye(3), np.eye(3), -np.ones(3), 'weights'),
])
def test_bad_input_is_named(src, dst, weights, match):
    with pytest.raises(ValueError, match=match):
        fit_similarity(src, dst, weights)


def test_canonical_face_is_mediapipes_in_headposes_axes():
    face = CANONICAL_FACE
    assert face.shape == (468, 3)
    assert int(np.argmax(face[:, 2])) in (1, 4)  # the nose tip juts out toward the viewer
    assert face[1, 1] > face[152, 1]  # nose above chin (landmark 152): y is up
    # landmark 33 (outer corner of the eye on the image's left) has x < 0: x is right
    assert face[33, 0] < 0 < face[263, 0]
    # the face is symmetric: its mirror image is the same point set
    mirrored = face * np.array([-1.0, 1.0, 1.0])
    dist = np.linalg.norm(mirrored[:, None] - face[None], axis=-1).min(1)
    assert dist.max() < 0.05
