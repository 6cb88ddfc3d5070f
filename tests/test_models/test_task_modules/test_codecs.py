"""The pose codecs' flip merge: consistent with the flip rule on rotations, and on the circle."""

import pytest
import torch

from headpose.registry import TASK_UTILS
from headpose.structures import euler_to_matrix, flip_rotation, geodesic_distance
from headpose.utils import register_all_modules

register_all_modules()

ANGLES = torch.tensor([[30.0, -20.0, 10.0], [-70.0, 40.0, -25.0], [5.0, 0.0, 60.0]],
                      dtype=torch.float64)


@pytest.mark.parametrize('codec_cfg', [dict(type='EulerCodec'),
                                       dict(type='HeadMotionCodec'),
                                       dict(type='RotationVectorCodec')])
def test_merge_flip_of_a_consistent_pair_is_the_pose(codec_cfg):
    """A flipped crop whose prediction is exactly the flipped pose changes nothing."""
    codec = TASK_UTILS.build(codec_cfg)
    rot = euler_to_matrix(ANGLES)
    merged = codec.merge_flip(codec.encode(rot), codec.encode(flip_rotation(rot)))
    decoded, angles = codec.decode(merged)
    torch.testing.assert_close(decoded, rot)
    torch.testing.assert_close(angles, ANGLES)


@pytest.mark.parametrize('codec_cfg', [dict(type='EulerCodec'),
                                       dict(type='RotationVectorCodec')])
def test_merge_flip_lies_between_the_two_predictions(codec_cfg):
    """Two predictions 20 degrees apart (about one axis) merge to the one half-way."""
    codec = TASK_UTILS.build(codec_cfg)
    a = torch.tensor([[10.0, 5.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([[30.0, 5.0, 0.0]], dtype=torch.float64)  # what the direct crop
    # would say, seen in the flipped crop: the flip rule applied to it
    flipped_b = codec.encode(flip_rotation(euler_to_matrix(b)))
    rot, angles = codec.decode(codec.merge_flip(codec.encode(euler_to_matrix(a)), flipped_b))
    torch.testing.assert_close(angles, torch.tensor([[20.0, 5.0, 0.0]], dtype=torch.float64))
    assert geodesic_distance(rot, euler_to_matrix(a)).item() == pytest.approx(10.0, abs=1e-6)


def test_combined_codec_weights():
    """weights=[3, 1]: scipy's weighted mean; [1, 0]: the first part's answer alone (the
    second an auxiliary task), whatever the second says."""
    from scipy.spatial.transform import Rotation
    a = torch.tensor([[10.0, 5.0, 0.0], [40.0, -20.0, 15.0]], dtype=torch.float64)
    b = torch.tensor([[30.0, 5.0, 0.0], [55.0, 10.0, -5.0]], dtype=torch.float64)
    hm = TASK_UTILS.build(dict(type='HeadMotionCodec')).encode(euler_to_matrix(b))
    parts = [dict(type='EulerCodec'), dict(type='HeadMotionCodec')]
    weighted = TASK_UTILS.build(dict(type='CombinedCodec', codecs=parts, weights=[3, 1]))
    rot, _ = weighted.decode(torch.cat([a, hm], dim=1))
    for i in range(2):
        mean = Rotation.from_matrix(torch.stack([euler_to_matrix(a)[i],
                                                 euler_to_matrix(b)[i]]).numpy()).mean(
            weights=[3, 1])
        torch.testing.assert_close(rot[i], torch.from_numpy(mean.as_matrix()))
    first = TASK_UTILS.build(dict(type='CombinedCodec', codecs=parts, weights=[1, 0]))
    for other in (hm, torch.full_like(hm, 70.0)):
        torch.testing.assert_close(first.decode(torch.cat([a, other], dim=1))[1], a)
    assert 'weights=[1.0, 0.0]' in repr(first)
    for bad in ([1], [1, -1], [0, 0]):
        with pytest.raises(ValueError, match='weights must be 2 numbers >= 0'):
            TASK_UTILS.build(dict(type='CombinedCodec', codecs=parts, weights=bad))


def test_euler_merge_flip_wraps_at_180():
    codec = TASK_UTILS.build(dict(type='EulerCodec', full_range=True))
    direct = torch.tensor([[179.0, 0.0, 0.0]])
    flipped = torch.tensor([[179.0, 0.0, 0.0]])  # mapped back: yaw -179
    merged = codec.merge_flip(direct, flipped)
    assert abs(merged[0, 0].item()) == pytest.approx(180.0)
    assert merged[0, 1:].abs().max().item() == 0.0
    # Narrow-range values: the plain mean after yaw -> -yaw, roll -> -roll.
    out = codec.merge_flip(torch.tensor([[10.0, 20.0, 30.0]]), torch.tensor([[-30.0, 0.0, 10.0]]))
    torch.testing.assert_close(out, torch.tensor([[20.0, 10.0, 10.0]]))


def test_head_motion_codec_targets_and_flip():
    """Targets are (turn, nod, tilt) (docs/conventions.md's example: turn 80, nod -20 is
    Euler (67.7, -64.5, -62.7)); decoding gives the rotation and its Euler angles back;
    the flip merge is the mean after turn -> -turn, tilt -> -tilt."""
    codec = TASK_UTILS.build(dict(type='HeadMotionCodec'))
    euler = torch.tensor([[67.7, -64.5, -62.7], [-10.0, 0.0, 0.0]], dtype=torch.float64)
    targets = codec.encode(euler_to_matrix(euler))
    torch.testing.assert_close(targets, torch.tensor([[80.0, -20.0, 0.0], [-10.0, 0.0, 0.0]],
                                                     dtype=torch.float64), atol=0.05, rtol=0)
    rot, angles = codec.decode(targets)
    torch.testing.assert_close(rot, euler_to_matrix(euler))
    torch.testing.assert_close(angles, euler)
    out = codec.merge_flip(torch.tensor([[10.0, 20.0, 30.0]]), torch.tensor([[-30.0, 0.0, 10.0]]))
    torch.testing.assert_close(out, torch.tensor([[20.0, 10.0, 10.0]]))


def _combined():
    return TASK_UTILS.build(dict(type='CombinedCodec', codecs=[dict(type='EulerCodec'),
                                                               dict(type='HeadMotionCodec')]))


def test_combined_codec_targets_are_the_parts_and_decode_to_the_pose():
    codec = _combined()
    assert codec.num_outputs == 6 and codec.supports_flip and not codec.averageable
    rot = euler_to_matrix(ANGLES)
    targets = codec.encode(rot)
    torch.testing.assert_close(targets[:, :3], ANGLES)
    torch.testing.assert_close(targets[:, 3:], TASK_UTILS.build(
        dict(type='HeadMotionCodec')).encode(rot))
    decoded, angles = codec.decode(targets)
    torch.testing.assert_close(decoded, rot)
    torch.testing.assert_close(angles, ANGLES)
    # flip: each part by its own rule, so a consistent pair changes nothing
    merged = codec.merge_flip(targets, codec.encode(flip_rotation(rot)))
    torch.testing.assert_close(codec.decode(merged)[1], ANGLES)


def test_combined_codec_decodes_to_the_chordal_mean_of_its_parts():
    """Parts that disagree: the decoded rotation is scipy's mean of the two rotations
    (the chordal L2 mean), e.g. yaw 10 and yaw 30 give yaw 20."""
    from scipy.spatial.transform import Rotation
    codec = _combined()
    a = torch.tensor([[10.0, 5.0, 0.0], [40.0, -20.0, 15.0]], dtype=torch.float64)
    b = torch.tensor([[30.0, 5.0, 0.0], [55.0, 10.0, -5.0]], dtype=torch.float64)
    hm = TASK_UTILS.build(dict(type='HeadMotionCodec')).encode(euler_to_matrix(b))
    rot, angles = codec.decode(torch.cat([a, hm], dim=1))
    torch.testing.assert_close(angles[0], torch.tensor([20.0, 5.0, 0.0], dtype=torch.float64))
    for i in range(2):
        mean = Rotation.from_matrix(torch.stack([euler_to_matrix(a)[i],
                                                 euler_to_matrix(b)[i]]).numpy()).mean()
        torch.testing.assert_close(rot[i], torch.from_numpy(mean.as_matrix()))
    with pytest.raises(ValueError, match=r'expected \(N, 6\) outputs'):
        codec.decode(a)
    with pytest.raises(ValueError, match='at least two'):
        TASK_UTILS.build(dict(type='CombinedCodec', codecs=[dict(type='EulerCodec')]))
